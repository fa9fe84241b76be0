// Wall-clock formatting for protocols: RFC 1123 (HTTP dates, x-ms-date) and ISO 8601 UTC (SAS
// start/expiry, logs).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace brix {

using SystemTime = std::chrono::system_clock::time_point;

// "Mon, 01 Jan 2024 00:00:00 GMT"
std::string FormatRfc1123(SystemTime t);
// "2024-01-01T00:00:00Z"
std::string FormatIso8601(SystemTime t);
// Milliseconds since the Unix epoch, now.
int64_t UnixMillis();
// Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC only). nullopt if malformed.
std::optional<SystemTime> ParseIso8601Utc(std::string_view text);

}  // namespace brix
