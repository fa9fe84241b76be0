// Removing secrets from text that may be shown to a person (errors, logs, CR status).
//
// Secrets brix handles: Azure account keys, SAS tokens (their `sig`), Entra client secrets and
// bearer tokens. They can enter through URLs (`?sas-token=`, `?account-key=`), connection strings
// and environment variables.
#pragma once

#include <string>
#include <string_view>

namespace brix {

// Replaces the values of secret query parameters (sas-token, account-key, sig, and any
// parameter whose name contains "key", "secret", "token" or "sig") with "REDACTED".
std::string RedactUrl(std::string_view url);

}  // namespace brix
