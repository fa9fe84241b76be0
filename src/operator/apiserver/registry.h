// Registry: the Kubernetes object semantics of brixd on top of etcd, independent of HTTP.
//
// Objects are stored as JSON under <prefix>/<group|core>/<plural>/<namespace>/<name>
// (cluster-scoped kinds: <prefix>/<group|core>/<plural>/<name>, `ns` always "");
// metadata.resourceVersion is the key's etcd mod_revision, so it changes on every write
// (status writes included) and a watch can resume from any revision etcd still holds.
// Writes are compare-and-swap on that revision: an update carrying a stale resourceVersion is a
// 409 Conflict; patches without one are retried on a concurrent write.
//
// Thread-safe (all state is in etcd).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcd/etcd_client.h"
#include "operator/api/resources.h"
#include "operator/apiserver/api_error.h"

namespace brix::apiserver {

enum class PatchType { kMerge, kStrategicMerge, kJson, kApply };

// What the request's fieldValidation asks for unknown fields (default Strict: refused).
enum class FieldValidation { kStrict, kIgnore };

// An admission check run on every create and update after defaults and validation, before the
// write: `current` is the stored object (nullptr on create), `updated` what would be stored.
// A returned error refuses the write.
using AdmissionCheck =
    std::function<std::optional<ApiError>(const Json* current, const Json& updated)>;

struct WriteOptions {
  FieldValidation field_validation = FieldValidation::kStrict;
  bool dry_run = false;
  AdmissionCheck admit;  // empty: none
};

struct ListResult {
  std::vector<Json> items;
  int64_t revision = 0;  // the list's resourceVersion
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  Json object;       // the new state; for DELETED the last state with the delete's revision
};

class Registry {
 public:
  explicit Registry(etcd::EtcdClient* etcd, std::string prefix = "/brix/registry");

  ApiResult<Json> Get(const api::ResourceInfo& info, const std::string& ns,
                      const std::string& name);
  // `ns` empty: every namespace.
  ApiResult<ListResult> List(const api::ResourceInfo& info, const std::string& ns);

  // Sets the server-owned fields (uid, creationTimestamp, generation, resourceVersion), applies
  // the CRD defaults and validates. A Namespace gets status.phase Active; an apps/v1 Deployment
  // a status saying brixd never runs it (replicas 0, condition Available False). 409 AlreadyExists
  // if the name is taken, 422 Invalid naming each bad field.
  ApiResult<Json> Create(const api::ResourceInfo& info, const std::string& ns, Json object,
                         const WriteOptions& options);
  // PUT. With `status` only .status is taken from `object` (the status subresource); otherwise
  // .status is kept as stored for kinds that have the subresource. 409 Conflict when
  // metadata.resourceVersion is set and stale. Emptying the finalizers of an object being
  // deleted removes it.
  ApiResult<Json> Update(const api::ResourceInfo& info, const std::string& ns,
                         const std::string& name, Json object, bool status,
                         const WriteOptions& options);
  ApiResult<Json> Patch(const api::ResourceInfo& info, const std::string& ns,
                        const std::string& name, PatchType type, const Json& patch, bool status,
                        const WriteOptions& options);
  // With finalizers only sets deletionTimestamp; otherwise removes the object. Returns the
  // object's last state. `precondition_rv` non-empty: 409 unless it matches.
  ApiResult<Json> Delete(const api::ResourceInfo& info, const std::string& ns,
                         const std::string& name, const std::string& precondition_rv);

  // Calls `on_event` for every change after revision `after` (on etcd's watch thread) until the
  // returned watch is destroyed or `on_event` returns false. `ns` empty: every namespace.
  Result<std::unique_ptr<etcd::Watch>> Watch(const api::ResourceInfo& info, const std::string& ns,
                                             int64_t after,
                                             std::function<bool(const WatchEvent&)> on_event);

 private:
  std::string Key(const api::ResourceInfo& info, const std::string& ns,
                  const std::string& name) const;
  std::string CollectionPrefix(const api::ResourceInfo& info, const std::string& ns) const;
  // Reads the object with its revision; nullopt object when missing.
  ApiResult<std::pair<Json, int64_t>> Load(const api::ResourceInfo& info, const std::string& ns,
                                           const std::string& name);
  // Defaults, validation and kind-specific normalisation of an object about to be stored.
  ApiResult<Json> Admit(const api::ResourceInfo& info, Json object, const WriteOptions& options);
  // The update path shared by PUT and PATCH; `expected_rv` is the revision `object` was derived
  // from. Returns FailedPrecondition (as a Status inside) when it changed meanwhile.
  ApiResult<Json> UpdateFrom(const api::ResourceInfo& info, const std::string& ns,
                             const std::string& name, const Json& current, int64_t current_rv,
                             Json object, bool status, const WriteOptions& options, bool* raced);

  etcd::EtcdClient* etcd_;
  std::string prefix_;
};

}  // namespace brix::apiserver
