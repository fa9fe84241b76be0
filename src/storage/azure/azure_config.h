// Resolution of everything the Azure driver needs from the storage URL and the environment
// (docs/storage.md):
//
//   account   ?account-name=  > AZURE_STORAGE_ACCOUNT > connection string AccountName
//   endpoint  ?endpoint=      > connection string BlobEndpoint >
//   https://<account>.blob.core.windows.net auth      SAS (?sas-token=, AZURE_STORAGE_SAS_TOKEN,
//   connection string SharedAccessSignature)
//           > Entra client credentials (AZURE_CLIENT_ID + AZURE_TENANT_ID + AZURE_CLIENT_SECRET,
//             authority AZURE_AUTHORITY_HOST, default https://login.microsoftonline.com)
//           > Shared Key (?account-key=, AZURE_STORAGE_KEY, connection string AccountKey)
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

enum class AzureAuthKind { kSas, kEntra, kSharedKey };

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
  std::string access_tier;  // "", "Hot", "Cool", "Cold" or "Archive"
  std::string ca_file;      // BRIX_CA_FILE: extra CA bundle for TLS (self-signed test endpoints)
  AzureTransferOptions transfer;
};

[[nodiscard]] Result<AzureConfig> ResolveAzureConfig(const StorageUrl& url, const EnvLookup& env);

}  // namespace brix::storage
