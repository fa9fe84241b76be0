#include "operator/api/storage_spec.h"

#include "common/encoding.h"

namespace brix::api {
namespace {

std::string TrimSlashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

const std::vector<std::string>& AzureSecretKeys() {
  static const std::vector<std::string> keys = {
      "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_SAS_TOKEN", "AZURE_CLIENT_ID",
      "AZURE_CLIENT_SECRET",   "AZURE_TENANT_ID",         "AZURE_AUTHORITY_HOST",
      "AZURE_STORAGE_KEY",     kAzureEndpointKey,         "AZURE_STORAGE_CONNECTION_STRING"};
  return keys;
}

Result<StorageLocation> StorageOf(const StorageProvider& storage) {
  if (!storage.azblob) {
    return Status::InvalidArgument(
        "no azblob storage in the spec (only Azure Blob Storage is supported)");
  }
  const AzblobStorage& az = *storage.azblob;
  StorageLocation loc;
  loc.secret_name = az.secret_name;
  // "c/" + "/p/" splits into container c and prefix p (§4.8).
  std::string path = TrimSlashes(az.container) + "/" + TrimSlashes(az.prefix);
  path = TrimSlashes(path);
  size_t slash = path.find('/');
  loc.container = path.substr(0, slash);
  loc.prefix = slash == std::string::npos ? "" : path.substr(slash + 1);
  if (loc.container.empty()) return Status::InvalidArgument("spec.azblob.container is required");
  loc.backup_path = "azure://" + path + "/";
  return loc;
}

Result<std::string> EngineStorageUrl(const StorageProvider& storage, const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(StorageLocation loc, StorageOf(storage));
  const AzblobStorage& az = *storage.azblob;
  std::string url = "azure://" + loc.container + (loc.prefix.empty() ? "" : "/" + loc.prefix);
  std::vector<std::pair<std::string, std::string>> query;
  std::string account = az.storage_account;
  if (account.empty()) account = env("AZURE_STORAGE_ACCOUNT").value_or("");
  if (!account.empty()) query.emplace_back("account-name", account);
  if (auto endpoint = env(kAzureEndpointKey)) query.emplace_back("endpoint", *endpoint);
  if (!az.sas_token.empty()) query.emplace_back("sas-token", az.sas_token);
  if (!az.access_tier.empty()) query.emplace_back("access-tier", az.access_tier);
  char sep = '?';
  for (const auto& [k, v] : query) {
    url += sep + k + "=" + PercentEncode(v);
    sep = '&';
  }
  return url;
}

}  // namespace brix::api
