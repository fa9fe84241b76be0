#include "operator/client/api_client.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "common/encoding.h"
#include "common/random.h"
#include "common/time_util.h"

namespace brix::client {
namespace {

const api::ResourceInfo& Find(const char* group, const char* version, const char* plural) {
  const api::ResourceInfo* info = api::FindResource(group, version, plural);
  if (info == nullptr) std::abort();  // the table in resources.cc is fixed at build time
  return *info;
}

constexpr int kMaxConflictRetries = 20;

Result<Json> Mutate(ApiClient& client, const api::ResourceInfo& info, const std::string& ns,
                    const std::string& name, const std::function<bool(Json&)>& mutate,
                    bool status) {
  for (int attempt = 0;; ++attempt) {
    BRIX_ASSIGN_OR_RETURN(Json object, client.Get(info, ns, name));
    if (!mutate(object)) return object;
    Result<Json> written = status ? client.UpdateStatus(info, object) : client.Update(info, object);
    if (written.ok() || written.status().code() != Status::Code::kAborted ||
        attempt >= kMaxConflictRetries) {
      return written;
    }
  }
}

}  // namespace

const api::ResourceInfo& Backups() {
  static const auto& r = Find(api::kBrGroup, api::kBrVersion, "backups");
  return r;
}
const api::ResourceInfo& BackupSchedules() {
  static const auto& r = Find(api::kBrGroup, api::kBrVersion, "backupschedules");
  return r;
}
const api::ResourceInfo& CompactBackups() {
  static const auto& r = Find(api::kBrGroup, api::kBrVersion, "compactbackups");
  return r;
}
const api::ResourceInfo& Restores() {
  static const auto& r = Find(api::kBrGroup, api::kBrVersion, "restores");
  return r;
}
const api::ResourceInfo& Jobs() {
  static const auto& r = Find("batch", "v1", "jobs");
  return r;
}
const api::ResourceInfo& Secrets() {
  static const auto& r = Find("", "v1", "secrets");
  return r;
}
const api::ResourceInfo& Events() {
  static const auto& r = Find("", "v1", "events");
  return r;
}

const api::ResourceInfo& ServiceAccounts() {
  static const auto& r = Find("", "v1", "serviceaccounts");
  return r;
}
const api::ResourceInfo& Roles() {
  static const auto& r = Find("rbac.authorization.k8s.io", "v1", "roles");
  return r;
}
const api::ResourceInfo& RoleBindings() {
  static const auto& r = Find("rbac.authorization.k8s.io", "v1", "rolebindings");
  return r;
}

const api::ResourceInfo& Leases() {
  static const auto& r = Find("coordination.k8s.io", "v1", "leases");
  return r;
}

Result<Json> ApiClient::CreateSubresource(const api::ResourceInfo& info, const std::string&,
                                          const std::string&, const std::string& subresource,
                                          const Json&) {
  return Status::NotSupported("this API client cannot create " + info.plural + "/" + subresource);
}

Result<std::string> RequestServiceAccountToken(ApiClient& client, const std::string& ns,
                                               const std::string& name, std::chrono::seconds ttl) {
  Json request = {{"apiVersion", "authentication.k8s.io/v1"},
                  {"kind", "TokenRequest"},
                  {"spec", {{"expirationSeconds", ttl.count()}}}};
  auto reply = client.CreateSubresource(ServiceAccounts(), ns, name, "token", request);
  if (!reply.ok()) {
    return reply.status().WithContext("token for serviceaccount " + ns + "/" + name);
  }
  const Json token = reply->value(Json::json_pointer("/status/token"), Json());
  if (!token.is_string() || token.get<std::string>().empty()) {
    return Status::Corruption("token for serviceaccount " + ns + "/" + name +
                              ": the TokenRequest reply has no status.token");
  }
  return token.get<std::string>();
}

Result<Json> MutateStatus(ApiClient& client, const api::ResourceInfo& info, const std::string& ns,
                          const std::string& name,
                          const std::function<bool(Json& object)>& mutate) {
  return Mutate(client, info, ns, name, mutate, info.has_status);
}

Result<Json> MutateObject(ApiClient& client, const api::ResourceInfo& info, const std::string& ns,
                          const std::string& name,
                          const std::function<bool(Json& object)>& mutate) {
  return Mutate(client, info, ns, name, mutate, /*status=*/false);
}

std::string NamespaceOf(const Json& object) {
  return object.contains("metadata") ? object["metadata"].value("namespace", "") : "";
}
std::string NameOf(const Json& object) {
  return object.contains("metadata") ? object["metadata"].value("name", "") : "";
}
std::string UidOf(const Json& object) {
  return object.contains("metadata") ? object["metadata"].value("uid", "") : "";
}

Status CreateEvent(ApiClient& client, const api::ResourceInfo& info, const Json& object,
                   const std::string& type, const std::string& reason, const std::string& message) {
  std::string now = FormatIso8601(std::chrono::system_clock::now());
  std::string name = NameOf(object);
  Json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       {{"name", name + "." + HexEncode(RandomBytes16()).substr(0, 16)},
        {"namespace", NamespaceOf(object)}}},
      {"involvedObject",
       {{"apiVersion", info.group_version()},
        {"kind", info.kind},
        {"namespace", NamespaceOf(object)},
        {"name", name},
        {"uid", UidOf(object)}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"count", 1},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"source", {{"component", "brix-controller"}}},
  };
  return client.Create(Events(), NamespaceOf(object), event).status();
}

void RecordEvent(ApiClient& client, const api::ResourceInfo& info, const Json& object,
                 const std::string& type, const std::string& reason, const std::string& message) {
  Status s = CreateEvent(client, info, object, type, reason, message);
  if (!s.ok()) {
    spdlog::warn("event {} for {}/{}: {}", reason, NamespaceOf(object), NameOf(object),
                 s.ToString());
  }
}

Status StatusFromApiError(int code, const std::string& reason, const std::string& message) {
  switch (code) {
    case 404:
      return Status::NotFound(message);
    case 409:
      if (reason == "AlreadyExists") return Status::AlreadyExists(message);
      return Status::Aborted(message);
    case 422:
    case 400:
      return Status::InvalidArgument(message);
    case 401:
    case 403:
      return Status::PermissionDenied(message);
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return Status::Unavailable(message);
    default:
      return Status::Internal("HTTP " + std::to_string(code) + ": " + message);
  }
}

}  // namespace brix::client
