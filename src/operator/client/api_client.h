// ApiClient: how the controllers, the job runner and `brix manager` talk to the API. One
// interface with two implementations: apiserver::RegistryClient (in brixd's process, straight to
// the etcd-backed Registry; operator/apiserver/registry_client.h) and HttpApiClient (over HTTPS
// with a bearer token, as any Kubernetes client does), so the same controllers could run against a
// real Kubernetes API server.
//
// Errors map to Status codes: 404 NotFound, 409 AlreadyExists (create) or Aborted (a stale
// resourceVersion: re-read and retry), 422 InvalidArgument, 503 Unavailable. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "operator/api/resources.h"

namespace brix::client {

using Json = nlohmann::json;

// The resources the controllers use, looked up once in api::AllResources().
const api::ResourceInfo& Backups();
const api::ResourceInfo& BackupSchedules();
const api::ResourceInfo& CompactBackups();
const api::ResourceInfo& Restores();
const api::ResourceInfo& Jobs();
const api::ResourceInfo& Secrets();
const api::ResourceInfo& Events();
const api::ResourceInfo& ServiceAccounts();
const api::ResourceInfo& Roles();
const api::ResourceInfo& RoleBindings();
const api::ResourceInfo& Leases();

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  Json object;
};

// Ends a watch when destroyed.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  [[nodiscard]] virtual Result<Json> Get(const api::ResourceInfo& info, const std::string& ns,
                                         const std::string& name) = 0;
  // `ns` empty: all namespaces. `label_selector` as kubectl's -l; empty matches everything.
  [[nodiscard]] virtual Result<std::vector<Json>> List(const api::ResourceInfo& info,
                                                       const std::string& ns,
                                                       const std::string& label_selector = "") = 0;
  [[nodiscard]] virtual Result<Json> Create(const api::ResourceInfo& info, const std::string& ns,
                                            const Json& object) = 0;
  // PUT of the whole object; Aborted when its metadata.resourceVersion is stale.
  [[nodiscard]] virtual Result<Json> Update(const api::ResourceInfo& info, const Json& object) = 0;
  // PUT of the status subresource (kinds that have one); Aborted when stale.
  [[nodiscard]] virtual Result<Json> UpdateStatus(const api::ResourceInfo& info,
                                                  const Json& object) = 0;
  // OK when already gone.
  [[nodiscard]] virtual Status Delete(const api::ResourceInfo& info, const std::string& ns,
                                      const std::string& name) = 0;
  // POST to a subresource that makes something from the object (serviceaccounts/token, a
  // TokenRequest); returns the reply. NotSupported unless the client implements it.
  [[nodiscard]] virtual Result<Json> CreateSubresource(const api::ResourceInfo& info,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const std::string& subresource,
                                                       const Json& body);
  // Calls `on_event` for every later change until the handle is destroyed. NotSupported for
  // clients that cannot watch (the controllers then rely on their resync alone).
  [[nodiscard]] virtual Result<std::unique_ptr<WatchHandle>> Watch(
      const api::ResourceInfo& info, std::function<void(const WatchEvent&)> on_event) = 0;
};

// Reads the object, lets `mutate` change its status (return false to leave it unchanged) and
// writes the status back, retrying on a concurrent write. Returns the stored object.
[[nodiscard]] Result<Json> MutateStatus(ApiClient& client, const api::ResourceInfo& info,
                                        const std::string& ns, const std::string& name,
                                        const std::function<bool(Json& object)>& mutate);
// The same for the whole object (spec, metadata).
[[nodiscard]] Result<Json> MutateObject(ApiClient& client, const api::ResourceInfo& info,
                                        const std::string& ns, const std::string& name,
                                        const std::function<bool(Json& object)>& mutate);

// metadata.namespace / name / uid, "" when absent.
std::string NamespaceOf(const Json& object);
std::string NameOf(const Json& object);
std::string UidOf(const Json& object);

// A bearer token for ServiceAccount `ns`/`name`, valid for `ttl`, through the Kubernetes
// TokenRequest API (POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token, body an
// authentication.k8s.io/v1 TokenRequest; the token is the reply's status.token). The token is a
// credential: never logged, never part of an error.
[[nodiscard]] Result<std::string> RequestServiceAccountToken(ApiClient& client,
                                                             const std::string& ns,
                                                             const std::string& name,
                                                             std::chrono::seconds ttl);

// Creates a core/v1 Event about `object` (what `kubectl describe` lists) and returns the
// outcome: callers that must know the event was written (a job checks its first one, so a
// missing right surfaces as a 403) use this. `type` is Normal or Warning.
[[nodiscard]] Status CreateEvent(ApiClient& client, const api::ResourceInfo& info,
                                 const Json& object, const std::string& type,
                                 const std::string& reason, const std::string& message);
// The same, best effort: a failure is logged, never returned.
void RecordEvent(ApiClient& client, const api::ResourceInfo& info, const Json& object,
                 const std::string& type, const std::string& reason, const std::string& message);

// The Status an API error stands for (see ApiClient's mapping).
Status StatusFromApiError(int code, const std::string& reason, const std::string& message);

}  // namespace brix::client
