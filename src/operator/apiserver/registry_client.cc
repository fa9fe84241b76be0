#include "operator/apiserver/registry_client.h"

#include "operator/apiserver/selector.h"

namespace brix::apiserver {
namespace {

template <typename T>
Result<T> Convert(ApiResult<T> r) {
  if (r.ok()) return std::move(r.value());
  const ApiError& e = r.error();
  return client::StatusFromApiError(e.code, e.reason, e.message);
}

class RegistryWatch final : public client::WatchHandle {
 public:
  explicit RegistryWatch(std::unique_ptr<etcd::Watch> w) : watch_(std::move(w)) {}

 private:
  std::unique_ptr<etcd::Watch> watch_;
};

}  // namespace

RegistryClient::RegistryClient(etcd::EtcdClient* etcd) : etcd_(etcd), registry_(etcd) {}

Result<Json> RegistryClient::Get(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string& name) {
  return Convert(registry_.Get(info, ns, name));
}

Result<std::vector<Json>> RegistryClient::List(const api::ResourceInfo& info, const std::string& ns,
                                               const std::string& label_selector) {
  BRIX_ASSIGN_OR_RETURN(auto selector, LabelSelector::Parse(label_selector));
  BRIX_ASSIGN_OR_RETURN(ListResult list, Convert(registry_.List(info, ns)));
  std::vector<Json> out;
  for (Json& item : list.items) {
    Json labels = item["metadata"].value("labels", Json());
    if (selector.Matches(labels)) out.push_back(std::move(item));
  }
  return out;
}

Result<Json> RegistryClient::Create(const api::ResourceInfo& info, const std::string& ns,
                                    const Json& object) {
  return Convert(registry_.Create(info, ns, object, {}));
}

Result<Json> RegistryClient::Update(const api::ResourceInfo& info, const Json& object) {
  return Convert(registry_.Update(info, client::NamespaceOf(object), client::NameOf(object), object,
                                  /*status=*/false, {}));
}

Result<Json> RegistryClient::UpdateStatus(const api::ResourceInfo& info, const Json& object) {
  return Convert(registry_.Update(info, client::NamespaceOf(object), client::NameOf(object), object,
                                  /*status=*/info.has_status, {}));
}

Status RegistryClient::Delete(const api::ResourceInfo& info, const std::string& ns,
                              const std::string& name) {
  auto r = Convert(registry_.Delete(info, ns, name, ""));
  if (!r.ok() && !r.status().IsNotFound()) return r.status();
  return Status::OK();
}

Result<std::unique_ptr<client::WatchHandle>> RegistryClient::Watch(
    const api::ResourceInfo& info, std::function<void(const client::WatchEvent&)> on_event) {
  // From now on (after=0 would replay every revision etcd still holds).
  BRIX_ASSIGN_OR_RETURN(ListResult now, Convert(registry_.List(info, "")));
  BRIX_ASSIGN_OR_RETURN(auto w,
                        registry_.Watch(info, "", now.revision, [on_event](const WatchEvent& e) {
                          on_event(client::WatchEvent{e.type, e.object});
                          return true;
                        }));
  return std::unique_ptr<client::WatchHandle>(new RegistryWatch(std::move(w)));
}

}  // namespace brix::apiserver
