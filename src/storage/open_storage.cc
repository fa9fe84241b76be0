#include "storage/open_storage.h"

#include "storage/azure/azure_storage.h"
#include "storage/fault/fault_injecting_storage.h"
#include "storage/local/local_storage.h"
#include "storage/retrying_storage.h"
#include "storage/storage_url.h"

namespace brix::storage {

Result<std::unique_ptr<ExternalStorage>> OpenStorage(std::string_view url, const EnvLookup& env) {
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

}  // namespace brix::storage
