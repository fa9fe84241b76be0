// Shared Access Signatures (Azure Blob REST API: service and account SAS).
//
// brix uses a SAS as a client (appends it verbatim to every request) and can also mint an
// account SAS from an account key — for tests and for handing a short-lived, narrowly scoped
// credential to a process that should not see the key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/time_util.h"

namespace brix::storage::azure {

struct AccountSasOptions {
  std::string permissions = "rwdlac";  // r read, w write, d delete, l list, a add, c create
  std::string services = "b";          // blob
  std::string resource_types = "sco";  // service, container, object
  std::optional<SystemTime> start;
  SystemTime expiry;
  std::string protocol;                // "", "https" or "https,http"
  std::string version = "2021-12-02";  // signed version (sv)
};

// An account SAS token ("sv=...&sig=..." without a leading '?'), percent-encoded.
[[nodiscard]] Result<std::string> GenerateAccountSas(std::string_view account,
                                                     std::string_view account_key_b64,
                                                     const AccountSasOptions& options);

// The expiry (`se`) of a SAS token, if it has a parsable one.
std::optional<SystemTime> SasExpiry(std::string_view token);

}  // namespace brix::storage::azure
