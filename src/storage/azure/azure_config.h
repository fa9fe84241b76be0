// Resolution of everything the Azure driver needs from the storage URL and the environment
// (docs/storage.md):
//
//   account   ?account-name=  > AZURE_STORAGE_ACCOUNT > connection string AccountName
//   endpoint  ?endpoint=  > connection string BlobEndpoint >
//   https://<account>.blob.core.windows.net auth, the first that is configured (like the SDKs'
//   DefaultAzureCredential, plus SAS and key):
//     1. SAS                (?sas-token=, AZURE_STORAGE_SAS_TOKEN, connection string
//                           SharedAccessSignature)
//     2. Entra client secret (AZURE_CLIENT_ID + AZURE_TENANT_ID + AZURE_CLIENT_SECRET)
//     3. workload identity  (AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID, as
//                           AKS injects them)
//        2 and 3 ask AZURE_AUTHORITY_HOST, default https://login.microsoftonline.com
//     4. Shared Key         (?account-key=, AZURE_STORAGE_KEY, connection string AccountKey)
//     5. managed identity   (none of the above, and AZURE_CLIENT_ID (a user-assigned identity)
//                           or AZURE_POD_IDENTITY_AUTHORITY_HOST (the system-assigned one) set:
//                           the instance metadata service there, default
//                           http://169.254.169.254; no IMDS answering gives the "no credentials"
//                           message at the first request)
//     nothing configured: InvalidArgument "no credentials" naming every choice, at once
//   tier      ?access-tier=Hot|Cool|Cold|Archive (case-insensitive)
//   tuning    ?block-size= (bytes, or with KiB/MiB suffix), ?concurrency=, ?single-put-max=
//
// AzureConfig holds secrets; it has no printing helpers on purpose.
#pragma once

#include <cstdint>
#include <string>

#include "common/env.h"
#include "common/result.h"
#include "storage/storage_url.h"

namespace brix::storage {

enum class AzureAuthKind { kSas, kEntra, kWorkloadIdentity, kSharedKey, kManagedIdentity };

// Whether `kind` authorises with Entra bearer tokens (a 401 then means: fetch a new token).
inline bool IsEntraAuth(AzureAuthKind kind) {
  return kind == AzureAuthKind::kEntra || kind == AzureAuthKind::kWorkloadIdentity ||
         kind == AzureAuthKind::kManagedIdentity;
}

struct AzureTransferOptions {
  uint64_t block_size = 8ull << 20;  // Put Block size and ranged-download chunk size
  // Put of an object up to this size is one Put Blob (the SDKs' default, 256 MiB): a 96 MiB
  // backup SST is one request, not twelve blocks and a commit.
  uint64_t single_put_max = 256ull << 20;
  int concurrency = 8;  // blocks or ranges in flight per object
};

struct AzureConfig {
  std::string account;
  std::string endpoint;  // scheme://host[:port][/path], no trailing '/'
  std::string container;
  std::string prefix;  // without leading/trailing '/'
  AzureAuthKind auth = AzureAuthKind::kSharedKey;
  std::string sas_token;    // without leading '?'
  std::string account_key;  // base64, as Azure shows it
  std::string tenant_id, client_id, client_secret, authority_host;
  std::string federated_token_file;  // workload identity
  std::string imds_authority;        // managed identity
  std::string access_tier;           // "", "Hot", "Cool", "Cold" or "Archive"
  std::string ca_file;  // BRIX_CA_FILE: extra CA bundle for TLS (self-signed test endpoints)
  AzureTransferOptions transfer;
};

[[nodiscard]] Result<AzureConfig> ResolveAzureConfig(const StorageUrl& url, const EnvLookup& env);

}  // namespace brix::storage
