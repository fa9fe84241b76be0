// FakeApiClient: an in-memory ApiClient for unit tests of the job runner, the controllers and the
// manager. Objects are stored as given (plus uid and resourceVersion); no schema, no defaults.
// ServiceAccount tokens: CreateSubresource("serviceaccounts", ns, name, "token") answers with
// token "token-of-<ns>/<name>" when that ServiceAccount is stored, else 404, like the API.
// `deny` makes calls fail with PermissionDenied (a 403), keyed "<verb> <plural>" as RBAC names
// them: "get backups", "update backups/status", "create events".
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>

#include "operator/client/api_client.h"

namespace brix::client {

class FakeApiClient final : public ApiClient {
 public:
  Result<Json> Get(const api::ResourceInfo& info, const std::string& ns,
                   const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    BRIX_RETURN_IF_ERROR(Check("get", info.plural, ns));
    auto it = objects_.find({info.plural, ns, name});
    if (it == objects_.end()) {
      return Status::NotFound(info.plural + " \"" + name + "\" not found");
    }
    return it->second;
  }
  Result<std::vector<Json>> List(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    BRIX_RETURN_IF_ERROR(Check("list", info.plural, ns));
    std::vector<Json> out;
    for (const auto& [key, o] : objects_) {
      if (std::get<0>(key) == info.plural && (ns.empty() || std::get<1>(key) == ns)) {
        out.push_back(o);
      }
    }
    return out;
  }
  Result<Json> Create(const api::ResourceInfo& info, const std::string& ns,
                      const Json& object) override {
    std::lock_guard<std::mutex> lock(mu_);
    BRIX_RETURN_IF_ERROR(Check("create", info.plural, ns));
    std::string name = NameOf(object);
    if (objects_.count({info.plural, ns, name})) {
      return Status::AlreadyExists(info.plural + " \"" + name + "\" already exists");
    }
    Json o = object;
    o["metadata"]["namespace"] = ns;
    o["metadata"]["uid"] = "uid-" + std::to_string(++next_uid_);
    objects_[{info.plural, ns, name}] = o;
    return o;
  }
  Result<Json> Update(const api::ResourceInfo& info, const Json& object) override {
    return Put(info, object, "");
  }
  Result<Json> UpdateStatus(const api::ResourceInfo& info, const Json& object) override {
    return Put(info, object, info.has_status ? "/status" : "");
  }
  Status Delete(const api::ResourceInfo& info, const std::string& ns,
                const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    BRIX_RETURN_IF_ERROR(Check("delete", info.plural, ns));
    objects_.erase({info.plural, ns, name});
    return Status::OK();
  }
  Result<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo&,
                                             std::function<void(const WatchEvent&)>) override {
    return Status::NotSupported("the fake does not watch");
  }
  Result<Json> CreateSubresource(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string& name, const std::string& subresource,
                                 const Json& body) override {
    std::lock_guard<std::mutex> lock(mu_);
    BRIX_RETURN_IF_ERROR(Check("create", info.plural + "/" + subresource, ns));
    if (info.plural != "serviceaccounts" || subresource != "token") {
      return Status::NotFound("no such subresource");
    }
    if (!objects_.count({info.plural, ns, name})) {
      return Status::NotFound("serviceaccounts \"" + name + "\" not found");
    }
    token_requests.push_back(body);
    Json reply = body;
    reply["status"]["token"] = "token-of-" + ns + "/" + name;
    return reply;
  }

  std::set<std::string> deny;  // "<verb> <plural>[/<subresource>]"
  std::vector<Json> token_requests;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // plural, namespace, name

  Status Check(const std::string& verb, const std::string& resource, const std::string& ns) {
    if (!deny.count(verb + " " + resource)) return Status::OK();
    return Status::PermissionDenied("User \"system:serviceaccount:" + ns + ":fake\" cannot " +
                                    verb + " resource \"" + resource + "\" in the namespace \"" +
                                    ns + "\"");
  }
  Result<Json> Put(const api::ResourceInfo& info, const Json& object, const std::string& sub) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string ns = NamespaceOf(object), name = NameOf(object);
    BRIX_RETURN_IF_ERROR(Check("update", info.plural + sub, ns));
    auto it = objects_.find({info.plural, ns, name});
    if (it == objects_.end()) return Status::NotFound(info.plural + " \"" + name + "\" not found");
    it->second = object;
    return object;
  }

  std::mutex mu_;
  std::map<Key, Json> objects_;
  int next_uid_ = 0;
};

}  // namespace brix::client
