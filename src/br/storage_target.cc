#include "br/storage_target.h"

#include "common/redact.h"
#include "storage/encryption_keys.h"
#include "storage/open_storage.h"
#include "storage/storage_url.h"

namespace brix::br {
namespace {

// Everything storage/open_storage.h and the Azure driver read from the environment.
constexpr const char* kStorageVariables[] = {
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "BRIX_CA_FILE",
    "BRIX_STORAGE_FAULTS",  // fault injection follows the data to the nodes in tests
};

}  // namespace

Result<StorageTarget> MakeStorageTarget(const std::string& url, bool send_credentials,
                                        const EnvLookup& env) {
  StorageTarget t;
  t.set_url(url);
  t.set_use_node_env(!send_credentials);
  if (send_credentials) {
    for (const char* name : kStorageVariables) {
      if (auto v = env(name)) (*t.mutable_env())[name] = *v;
    }
  }
  BRIX_ASSIGN_OR_RETURN(auto kek, storage::ForwardedEncryptionKey(url, env));
  if (kek) {
    (*t.mutable_env())[storage::kEncryptionKekEnv] = *kek;
    t.set_encrypted(true);
  }
  return t;
}

Result<std::string> MoveUrlSecrets(const std::string& url,
                                   std::map<std::string, std::string>* vars) {
  static const std::map<std::string, std::string> kSecretParams = {
      {"sas-token", "AZURE_STORAGE_SAS_TOKEN"}, {"account-key", "AZURE_STORAGE_KEY"}};
  size_t q = url.find('?');
  if (q == std::string::npos) return url;
  BRIX_ASSIGN_OR_RETURN(storage::StorageUrl parsed, storage::ParseStorageUrl(url));
  std::string kept = url.substr(0, q);
  char sep = '?';
  size_t start = q + 1;
  while (start <= url.size()) {
    size_t end = std::min(url.find('&', start), url.size());
    std::string item = url.substr(start, end - start);
    std::string name = item.substr(0, item.find('='));
    auto secret = kSecretParams.find(name);
    if (secret != kSecretParams.end()) {
      (*vars)[secret->second] = parsed.params[name];  // decoded
    } else if (!item.empty()) {
      kept += sep + item;
      sep = '&';
    }
    start = end + 1;
  }
  return kept;
}

Result<std::unique_ptr<storage::ExternalStorage>> OpenStorageTarget(const StorageTarget& target) {
  EnvLookup env;
  if (target.use_node_env()) {
    std::map<std::string, std::string> first(target.env().begin(), target.env().end());
    EnvLookup process = ProcessEnv();
    env = [first, process](const std::string& name) -> std::optional<std::string> {
      auto it = first.find(name);
      return it != first.end() ? std::optional<std::string>(it->second) : process(name);
    };
  } else {
    env = MapEnv(std::map<std::string, std::string>(target.env().begin(), target.env().end()));
  }
  if (target.encrypted()) {
    BRIX_ASSIGN_OR_RETURN(storage::EncryptionSettings settings, storage::EncryptionFromEnv(env));
    if (!settings.enabled) {
      return Status::FailedPrecondition(
          RedactUrl(target.url()) +
          " is encrypted but no key came with it: give the coordinator the master key "
          "(--crypter.key-file or BRIX_ENCRYPTION_KEY)");
    }
  }
  return storage::OpenStorage(target.url(), env);
}

}  // namespace brix::br
