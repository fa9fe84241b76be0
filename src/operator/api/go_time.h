// The textual time formats of the backup CRs, parsed exactly as TiDB Operator and BR parse them
// (as TiDB Operator parses them): Go durations (`maxReservedTime: "3h"`) and the
// timestamp strings of `commitTs`, `logTruncateUntil`, `startTs`, ... (a TSO, a local
// "YYYY-MM-DD HH:MM:SS" or RFC 3339).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace brix::api {

// Go's time.ParseDuration: a signed sequence of decimal numbers with optional fractions and a
// unit each ("300ms", "-1.5h", "2h45m"); units ns, us (or µs), ms, s, m, h. No "d" unit, as in
// Go. "0" alone is allowed. InvalidArgument (saying why) otherwise.
[[nodiscard]] Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

// Go's Duration.String(): "1h30m0s", "500ms", "0s".
std::string FormatGoDuration(std::chrono::nanoseconds d);

// TiDB's TSO layout: physical milliseconds shifted left by 18 bits, plus a logical counter.
constexpr int kTsoLogicalBits = 18;
inline uint64_t TsoFromUnixMillis(int64_t ms) {
  return static_cast<uint64_t>(ms) << kTsoLogicalBits;
}
inline int64_t UnixMillisFromTso(uint64_t tso) {
  return static_cast<int64_t>(tso >> kTsoLogicalBits);
}

// Timestamps (TiDB Operator's ParseTSString) are parsed by common/timestamp.h's ParseTimestamp,
// the one parser for CLI flags and CR fields.

}  // namespace brix::api
