// Azure Shared Key request signing (Azure Blob REST API: Authorize with Shared Key), written by
// hand because brix has no Azure SDK (none is packaged for Debian) and the algorithm is small and
// fully specified.
//
// The string-to-sign covers the verb, the standard headers, every x-ms-* header (lowercased,
// trimmed, sorted) and the canonicalized resource: "/" + account + the URI path exactly as sent,
// then every query parameter as "\nname:value" (name lowercased, both decoded, sorted by name).
//
// Header sort: Azure sorts with culture-aware (ICU) ordering; for names made of lowercase letters
// and '-' only, that equals byte order, so brix only ever sends such x-ms-* names (metadata keys
// are restricted to [a-z][a-z0-9]*, see IsValidMetadataKey).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brix::storage::azure {

// A Blob-service request before it is put on the wire. The driver builds it, a credential
// authorises it (header or query), then BuildUrl() gives the final URL.
struct BlobRequest {
  std::string method;  // GET, PUT, HEAD, DELETE
  std::string path;    // URI path, percent-encoded, starting with '/'
  std::vector<std::pair<std::string, std::string>> query;    // decoded; encoded by BuildUrl
  std::string raw_query;                                     // appended verbatim (a SAS token)
  std::vector<std::pair<std::string, std::string>> headers;  // exactly what will be sent
  uint64_t content_length = 0;

  // Value of a header by case-insensitive name, or "".
  std::string Header(std::string_view name) const;
  // origin + path + "?" + encoded query [+ "&" + raw_query].
  std::string BuildUrl(std::string_view origin) const;
};

// The exact string Shared Key signs for `request` on `account`.
std::string SharedKeyStringToSign(const BlobRequest& request, std::string_view account);
// base64(HMAC-SHA256(base64decode(account_key), string_to_sign)); "" if the key is not base64.
std::string SharedKeySignature(std::string_view string_to_sign, std::string_view account_key_b64);

// Metadata keys brix may send: [a-z][a-z0-9]* (see the header-sort note above).
bool IsValidMetadataKey(std::string_view key);

}  // namespace brix::storage::azure
