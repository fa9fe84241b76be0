#include "storage/open_storage.h"

#include "storage/azure/azure_storage.h"
#include "storage/encrypted_storage.h"
#include "storage/fault/fault_injecting_storage.h"
#include "storage/local/local_storage.h"
#include "storage/retrying_storage.h"
#include "storage/storage_url.h"

namespace brix::storage {

namespace {

// The driver for `url`, with retries above injected faults when BRIX_STORAGE_FAULTS is set.
Result<std::unique_ptr<ExternalStorage>> OpenDriver(std::string_view url, const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(StorageUrl parsed, ParseStorageUrl(url));
  std::unique_ptr<ExternalStorage> driver;
  if (parsed.kind == StorageUrl::Kind::kLocal) {
    BRIX_ASSIGN_OR_RETURN(driver, OpenLocalStorage(parsed.path));
  } else {
    BRIX_ASSIGN_OR_RETURN(AzureConfig cfg, ResolveAzureConfig(parsed, env));
    BRIX_ASSIGN_OR_RETURN(driver, OpenAzureStorage(cfg));
  }
  // Drivers retry their own transient failures (the Azure driver with the server's hints), so
  // retrying again here would multiply the attempts. Injected faults surface above the driver,
  // so they get a retry layer of their own.
  if (auto spec = env("BRIX_STORAGE_FAULTS")) {
    BRIX_ASSIGN_OR_RETURN(FaultOptions faults, ParseFaultOptions(*spec));
    driver = WrapWithRetries(WrapWithFaults(std::move(driver), faults));
  }
  return driver;
}

}  // namespace

Result<std::unique_ptr<ExternalStorage>> OpenStorage(std::string_view url, const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(EncryptionSettings encryption, EncryptionFromEnv(env));
  BRIX_ASSIGN_OR_RETURN(auto driver, OpenDriver(url, env));
  // Encryption is the outermost layer: retries and faults below it only see ciphertext.
  if (encryption.enabled) return WrapWithEncryption(std::move(driver), encryption);
  return WrapRefusingEncrypted(std::move(driver));
}

Result<std::optional<std::string>> ForwardedEncryptionKey(std::string_view url,
                                                          const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(EncryptionSettings encryption, EncryptionFromEnv(env));
  if (!encryption.enabled) return std::optional<std::string>();
  if (encryption.kek) return std::optional<std::string>(KekEnvValue(*encryption.kek));
  BRIX_ASSIGN_OR_RETURN(auto driver, OpenDriver(url, env));
  BRIX_ASSIGN_OR_RETURN(Kek kek, LoadOrCreateKeyring(*driver, encryption.master_key));
  return std::optional<std::string>(KekEnvValue(kek));
}

}  // namespace brix::storage
