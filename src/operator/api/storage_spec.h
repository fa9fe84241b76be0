// Where a CR's data lives: the inlined StorageProvider of a Backup, Restore or CompactBackup spec
// (TiDB Operator's azblob fields; docs/controllers.md) turned into the path shown in status, the
// URL the engine opens, and the Secret keys a job gets as environment.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/result.h"
#include "operator/api/types.h"

namespace brix::api {

// The Secret key that points a job at a non-default Blob endpoint (Azurite in the playground):
// "http://127.0.0.1:PORT/devstoreaccount1". Not a credential; it ends up as `endpoint=` in the
// engine's storage URL.
inline constexpr char kAzureEndpointKey[] = "AZURE_STORAGE_ENDPOINT";

// Secret keys passed to jobs as environment, in the priority order of §8 (SAS, Entra, key).
const std::vector<std::string>& AzureSecretKeys();

struct StorageLocation {
  std::string backup_path;  // "azure://my-container/my-folder/" (status.backupPath; no query)
  std::string secret_name;  // spec.azblob.secretName ("" = none)
  std::string container, prefix;
};

// InvalidArgument when the provider has no azblob block or no container. `storage` is what a
// spec (or pitrFullBackupStorageProvider) inlines.
[[nodiscard]] Result<StorageLocation> StorageOf(const StorageProvider& storage);

// The URL the engine opens for `storage`'s location: azure://container/prefix with account-name,
// endpoint, sas-token and access-tier as query parameters, taken from the spec and from the
// job's environment (the Secret's keys). Contains no account key; a SAS only when the spec
// itself holds one.
[[nodiscard]] Result<std::string> EngineStorageUrl(const StorageProvider& storage,
                                                   const EnvLookup& env);

}  // namespace brix::api
