#include "br/storage_target.h"

#include "storage/open_storage.h"

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

StorageTarget MakeStorageTarget(const std::string& url, bool send_credentials,
                                const EnvLookup& env) {
  StorageTarget t;
  t.set_url(url);
  t.set_use_node_env(!send_credentials);
  if (send_credentials) {
    for (const char* name : kStorageVariables) {
      if (auto v = env(name)) (*t.mutable_env())[name] = *v;
    }
  }
  return t;
}

Result<std::unique_ptr<storage::ExternalStorage>> OpenStorageTarget(const StorageTarget& target) {
  if (target.use_node_env()) return storage::OpenStorage(target.url(), ProcessEnv());
  std::map<std::string, std::string> vars(target.env().begin(), target.env().end());
  return storage::OpenStorage(target.url(), MapEnv(std::move(vars)));
}

}  // namespace brix::br
