#include "operator/apiserver/registry.h"

#include <regex>

#include "common/encoding.h"
#include "common/random.h"
#include "common/time_util.h"
#include "operator/apiserver/merge_patch.h"
#include "operator/apiserver/pods.h"

namespace brix::apiserver {

namespace {

constexpr int kMaxRaceRetries = 16;

std::string Now() { return FormatIso8601(std::chrono::system_clock::now()); }

std::string RandomSuffix() {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string bytes = RandomBytes16();
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[static_cast<uint8_t>(bytes[i]) % 27];
  return out;
}

bool ValidSubdomain(const std::string& name) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return !name.empty() && name.size() <= 253 && std::regex_match(name, re);
}

// Everything a user means by "the desired state": the object minus metadata and status.
Json SpecPart(const Json& object) {
  Json out = object;
  for (const char* k : {"metadata", "status", "apiVersion", "kind"}) out.erase(k);
  return out;
}

bool HasFinalizers(const Json& object) {
  const Json& meta = object["metadata"];
  return meta.contains("finalizers") && meta["finalizers"].is_array() &&
         !meta["finalizers"].empty();
}

Json WithRevision(Json object, int64_t revision) {
  object["metadata"]["resourceVersion"] = std::to_string(revision);
  return object;
}

std::string Serialize(Json object) {
  object["metadata"].erase("resourceVersion");
  return object.dump();
}

// brixd stores Deployments (deploy/30-operator.yaml) and never runs them: its job runner runs
// Jobs only, and its controllers already run inside brixd.
Json NeverRunDeploymentStatus() {
  return {{"replicas", 0},
          {"conditions",
           {{{"type", "Available"},
             {"status", "False"},
             {"lastTransitionTime", Now()},
             {"reason", "NotRunByBrixd"},
             {"message",
              "brixd stores Deployments as written and never runs them: its job runner runs Jobs "
              "only, and its controllers already run inside brixd"}}}}};
}

bool IsStringMap(const Json& v) {
  if (!v.is_object()) return false;
  for (const auto& [k, val] : v.items()) {
    if (!val.is_string()) return false;
  }
  return true;
}

}  // namespace

Registry::Registry(etcd::EtcdClient* etcd, std::string prefix)
    : etcd_(etcd), prefix_(std::move(prefix)) {}

std::string Registry::CollectionPrefix(const api::ResourceInfo& info, const std::string& ns) const {
  std::string p =
      prefix_ + "/" + (info.group.empty() ? "core" : info.group) + "/" + info.plural + "/";
  if (!ns.empty()) p += ns + "/";
  return p;
}

std::string Registry::Key(const api::ResourceInfo& info, const std::string& ns,
                          const std::string& name) const {
  return CollectionPrefix(info, ns) + name;
}

ApiResult<std::pair<Json, int64_t>> Registry::Load(const api::ResourceInfo& info,
                                                   const std::string& ns, const std::string& name) {
  auto kv = etcd_->Get(Key(info, ns, name));
  if (!kv.ok()) return ApiError::FromStatus(kv.status());
  if (!kv->has_value()) return ApiError::NotFound(info, name);
  Json object = Json::parse((*kv)->value, nullptr, false);
  if (object.is_discarded()) {
    return ApiError::FromStatus(Status::Corruption("stored object " + name + " is not JSON"));
  }
  return std::make_pair(WithRevision(std::move(object), (*kv)->mod_revision), (*kv)->mod_revision);
}

ApiResult<Json> Registry::Get(const api::ResourceInfo& info, const std::string& ns,
                              const std::string& name) {
  BRIX_API_ASSIGN_OR_RETURN(auto loaded, Load(info, ns, name));
  return std::move(loaded.first);
}

ApiResult<ListResult> Registry::List(const api::ResourceInfo& info, const std::string& ns) {
  auto range = etcd_->GetPrefix(CollectionPrefix(info, ns));
  if (!range.ok()) return ApiError::FromStatus(range.status());
  ListResult out;
  out.revision = range->revision;
  for (const auto& kv : range->kvs) {
    Json object = Json::parse(kv.value, nullptr, false);
    if (object.is_discarded()) continue;
    out.items.push_back(WithRevision(std::move(object), kv.mod_revision));
  }
  return out;
}

ApiResult<Json> Registry::Admit(const api::ResourceInfo& info, Json object,
                                const WriteOptions& options) {
  const std::string name = object["metadata"].value("name", "");
  std::vector<api::FieldError> errors;
  const Json& meta = object["metadata"];
  if (!ValidSubdomain(name)) {
    errors.push_back({api::FieldError::Type::kInvalid, "metadata.name", name,
                      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                      "characters, '-' or '.', and must start and end with an alphanumeric "
                      "character"});
  }
  for (const char* field : {"labels", "annotations"}) {
    if (meta.contains(field) && !meta[field].is_null() && !IsStringMap(meta[field])) {
      errors.push_back({api::FieldError::Type::kInvalid, std::string("metadata.") + field,
                        meta[field], "must be a map of strings"});
    }
  }
  if (info.custom) {
    api::DropNulls(&object);
    if (options.field_validation == FieldValidation::kIgnore) {
      api::PruneUnknown(*info.schema, &object);
    }
    api::ApplyDefaults(*info.schema, &object);
    auto more = api::Validate(*info.schema, object);
    errors.insert(errors.end(), more.begin(), more.end());
  } else if (info.kind == "Secret") {
    // Like the API server: stringData is folded into data, values are base64 text.
    if (object.contains("stringData") && object["stringData"].is_object()) {
      for (const auto& [k, v] : object["stringData"].items()) {
        if (v.is_string()) object["data"][k] = Base64Encode(v.get<std::string>());
      }
    }
    object.erase("stringData");
    if (!object.contains("type") || object["type"] == "") object["type"] = "Opaque";
    if (object.contains("data")) {
      if (!object["data"].is_object()) {
        errors.push_back({api::FieldError::Type::kInvalid, "data", object["data"],
                          "must be a map of base64 strings"});
      } else {
        for (const auto& [k, v] : object["data"].items()) {
          if (!v.is_string() || !Base64Decode(v.get<std::string>())) {
            errors.push_back(
                {api::FieldError::Type::kInvalid, "data[" + k + "]", v, "must be base64 text"});
          }
        }
      }
    }
  }
  if (!object.contains("status")) {
    if (info.kind == "Namespace" && info.group.empty()) {
      object["status"] = {{"phase", "Active"}};
    } else if (info.kind == "Deployment" && info.group == "apps") {
      object["status"] = NeverRunDeploymentStatus();
    }
  }
  if (!errors.empty()) return ApiError::Invalid(info, name, errors);
  return object;
}

ApiResult<Json> Registry::Create(const api::ResourceInfo& info, const std::string& ns, Json object,
                                 const WriteOptions& options) {
  if (!object.is_object()) return ApiError::BadRequest("the request body must be a JSON object");
  if (object.contains("kind") && object["kind"] != info.kind) {
    return ApiError::BadRequest("the kind " + object["kind"].dump() + " does not match " +
                                info.kind + " of " + info.qualified_name());
  }
  if (object.contains("apiVersion") && object["apiVersion"] != info.group_version()) {
    return ApiError::BadRequest("the apiVersion " + object["apiVersion"].dump() +
                                " does not match " + info.group_version());
  }
  object["kind"] = info.kind;
  object["apiVersion"] = info.group_version();
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = Json::object();
  }
  Json& meta = object["metadata"];
  if (meta.contains("namespace") && meta["namespace"] != "" && meta["namespace"] != ns) {
    return ApiError::BadRequest(
        "the namespace of the provided object does not match the namespace sent on the "
        "request");
  }
  if (info.namespaced) {
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  if (meta.value("name", "").empty() && !meta.value("generateName", "").empty()) {
    meta["name"] = meta["generateName"].get<std::string>() + RandomSuffix();
  }
  if (meta.value("name", "").empty()) {
    return ApiError::Invalid(info, "",
                             {{api::FieldError::Type::kRequired, "metadata.name", nullptr,
                               "name or generateName is required"}});
  }
  meta["uid"] = NewUuid();
  meta["creationTimestamp"] = Now();
  if (info.kind == "Job" && info.group == "batch") DefaultJobSelector(&object);
  for (const char* owned : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                            "managedFields", "selfLink"}) {
    meta.erase(owned);
  }
  if (info.has_status) {
    meta["generation"] = 1;
    object.erase("status");  // status is written through the status subresource only
  }
  BRIX_API_ASSIGN_OR_RETURN(object, Admit(info, std::move(object), options));
  if (options.admit) {
    if (auto refused = options.admit(nullptr, object)) return *refused;
  }
  std::string name = object["metadata"]["name"];
  if (options.dry_run) return object;
  auto rev = etcd_->PutIfModRevision(Key(info, ns, name), Serialize(object), 0);
  if (!rev.ok()) {
    if (rev.status().code() == Status::Code::kFailedPrecondition) {
      return ApiError::AlreadyExists(info, name);
    }
    return ApiError::FromStatus(rev.status());
  }
  return WithRevision(std::move(object), *rev);
}

ApiResult<Json> Registry::UpdateFrom(const api::ResourceInfo& info, const std::string& ns,
                                     const std::string& name, const Json& current,
                                     int64_t current_rv, Json object, bool status,
                                     const WriteOptions& options, bool* raced) {
  *raced = false;
  if (!object.is_object()) return ApiError::BadRequest("the request body must be a JSON object");
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = Json::object();
  }
  Json& meta = object["metadata"];
  std::string given_rv = meta.value("resourceVersion", "");
  if (!given_rv.empty() && given_rv != std::to_string(current_rv)) {
    return ApiError::Conflict(info, name);
  }
  if (meta.contains("name") && meta["name"] != name) {
    return ApiError::BadRequest("the name of the object (" + meta["name"].dump() +
                                ") does not match the name on the URL (" + name + ")");
  }
  if (meta.contains("namespace") && meta["namespace"] != "" && meta["namespace"] != ns) {
    return ApiError::BadRequest(
        "the namespace of the provided object does not match the namespace sent on the "
        "request");
  }
  Json updated;
  if (status) {
    updated = current;
    if (object.contains("status")) {
      updated["status"] = object["status"];
    } else {
      updated.erase("status");
    }
  } else {
    updated = std::move(object);
    updated["kind"] = info.kind;
    updated["apiVersion"] = info.group_version();
    if (info.has_status) {
      if (current.contains("status")) {
        updated["status"] = current["status"];
      } else {
        updated.erase("status");
      }
    }
    Json& m = updated["metadata"];
    const Json& cm = current["metadata"];
    m["name"] = name;
    if (info.namespaced) {
      m["namespace"] = ns;
    } else {
      m.erase("namespace");
    }
    for (const char* owned : {"uid", "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation"}) {
      if (cm.contains(owned)) {
        m[owned] = cm[owned];
      } else {
        m.erase(owned);
      }
    }
    m.erase("managedFields");
  }
  BRIX_API_ASSIGN_OR_RETURN(updated, Admit(info, std::move(updated), options));
  if (options.admit) {
    if (auto refused = options.admit(&current, updated)) return *refused;
  }
  if (info.has_status && SpecPart(updated) != SpecPart(current)) {
    updated["metadata"]["generation"] = current["metadata"].value("generation", 1) + 1;
  }
  // Removing the last finalizer of an object that is being deleted completes the delete.
  if (updated["metadata"].contains("deletionTimestamp") && !HasFinalizers(updated)) {
    if (options.dry_run) return updated;
    Status s = etcd_->DeleteIfModRevision(Key(info, ns, name), current_rv);
    if (!s.ok()) {
      if (s.code() == Status::Code::kFailedPrecondition) {
        *raced = true;
        return ApiError::Conflict(info, name);
      }
      return ApiError::FromStatus(s);
    }
    return updated;
  }
  Json stored_current = current;
  stored_current["metadata"].erase("resourceVersion");
  Json stored_updated = updated;
  stored_updated["metadata"].erase("resourceVersion");
  if (stored_current == stored_updated || options.dry_run) {
    // A no-op write keeps the resourceVersion, as the API server does.
    return WithRevision(std::move(updated), current_rv);
  }
  auto rev = etcd_->PutIfModRevision(Key(info, ns, name), Serialize(updated), current_rv);
  if (!rev.ok()) {
    if (rev.status().code() == Status::Code::kFailedPrecondition) {
      *raced = true;
      return ApiError::Conflict(info, name);
    }
    return ApiError::FromStatus(rev.status());
  }
  return WithRevision(std::move(updated), *rev);
}

ApiResult<Json> Registry::Update(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string& name, Json object, bool status,
                                 const WriteOptions& options) {
  // Without a resourceVersion in the body a PUT is unconditional: a race with another writer
  // is retried on the new state, as the API server's GuaranteedUpdate does.
  bool unconditional = !object.is_object() || !object.contains("metadata") ||
                       !object["metadata"].is_object() ||
                       object["metadata"].value("resourceVersion", "").empty();
  for (int attempt = 0; attempt < kMaxRaceRetries; ++attempt) {
    BRIX_API_ASSIGN_OR_RETURN(auto loaded, Load(info, ns, name));
    bool raced = false;
    auto result =
        UpdateFrom(info, ns, name, loaded.first, loaded.second, object, status, options, &raced);
    if (!result.ok() && raced && unconditional) continue;
    return result;
  }
  return ApiError::Conflict(info, name);
}

ApiResult<Json> Registry::Patch(const api::ResourceInfo& info, const std::string& ns,
                                const std::string& name, PatchType type, const Json& patch,
                                bool status, const WriteOptions& options) {
  for (int attempt = 0; attempt < kMaxRaceRetries; ++attempt) {
    auto loaded = Load(info, ns, name);
    if (!loaded.ok()) {
      // Server-side apply creates what does not exist yet.
      if (type == PatchType::kApply && loaded.error().code == 404 && !status) {
        return Create(info, ns, patch, options);
      }
      return loaded.error();
    }
    const auto& [current, rv] = loaded.value();
    Json patched;
    switch (type) {
      case PatchType::kMerge:
      case PatchType::kApply:
        patched = MergePatch(current, patch);
        break;
      case PatchType::kStrategicMerge: {
        auto r = StrategicMergePatch(current, patch);
        if (!r.ok()) return ApiError::BadRequest(r.status().message());
        patched = std::move(r).value();
        break;
      }
      case PatchType::kJson:
        try {
          patched = current.patch(patch);
        } catch (const Json::exception& e) {
          return ApiError::BadRequest(std::string("the JSON patch could not be applied: ") +
                                      e.what());
        }
        break;
    }
    bool raced = false;
    auto result =
        UpdateFrom(info, ns, name, current, rv, std::move(patched), status, options, &raced);
    // Only a write that raced with another one is retried; a stale resourceVersion the
    // client put into its patch is a real conflict.
    if (!result.ok() && raced) continue;
    return result;
  }
  return ApiError::Conflict(info, name);
}

ApiResult<Json> Registry::Delete(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string& name, const std::string& precondition_rv) {
  for (int attempt = 0; attempt < kMaxRaceRetries; ++attempt) {
    BRIX_API_ASSIGN_OR_RETURN(auto loaded, Load(info, ns, name));
    auto& [current, rv] = loaded;
    if (!precondition_rv.empty() && precondition_rv != std::to_string(rv)) {
      return ApiError::Conflict(info, name);
    }
    std::string key = Key(info, ns, name);
    if (HasFinalizers(current)) {
      if (current["metadata"].contains("deletionTimestamp")) return current;
      Json marked = current;
      marked["metadata"]["deletionTimestamp"] = Now();
      marked["metadata"]["deletionGracePeriodSeconds"] = 0;
      auto rev = etcd_->PutIfModRevision(key, Serialize(marked), rv);
      if (!rev.ok()) {
        if (rev.status().code() == Status::Code::kFailedPrecondition) continue;
        return ApiError::FromStatus(rev.status());
      }
      return WithRevision(std::move(marked), *rev);
    }
    Status s = etcd_->DeleteIfModRevision(key, rv);
    if (!s.ok()) {
      if (s.code() == Status::Code::kFailedPrecondition) continue;
      return ApiError::FromStatus(s);
    }
    return current;
  }
  return ApiError::Conflict(info, name);
}

Result<std::unique_ptr<etcd::Watch>> Registry::Watch(
    const api::ResourceInfo& info, const std::string& ns, int64_t after,
    std::function<bool(const WatchEvent&)> on_event) {
  etcd::EtcdClient* etcd = etcd_;
  return etcd_->WatchPrefix(
      CollectionPrefix(info, ns), after + 1,
      [etcd, on_event = std::move(on_event)](const std::vector<etcd::Event>& events) {
        for (const auto& e : events) {
          WatchEvent out;
          if (e.type == etcd::Event::Type::kPut) {
            Json object = Json::parse(e.kv.value, nullptr, false);
            if (object.is_discarded()) continue;
            out.type = e.kv.create_revision == e.kv.mod_revision ? "ADDED" : "MODIFIED";
            out.object = WithRevision(std::move(object), e.kv.mod_revision);
          } else {
            // etcd's delete event has no value: read the last state just before the delete.
            auto before = etcd->Range(e.kv.key, "", 0, e.kv.mod_revision - 1);
            if (!before.ok() || before->kvs.empty()) continue;
            Json object = Json::parse(before->kvs[0].value, nullptr, false);
            if (object.is_discarded()) continue;
            out.type = "DELETED";
            out.object = WithRevision(std::move(object), e.kv.mod_revision);
          }
          if (!on_event(out)) return false;
        }
        return true;
      });
}

}  // namespace brix::apiserver
