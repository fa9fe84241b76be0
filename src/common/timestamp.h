// Timestamps as users write them (docs/format/tso.md): a TSO integer, "YYYY-MM-DD HH:MM:SS" (UTC
// unless a zone such as "+08:00" follows), or RFC 3339 ("2026-11-24T03:00:00Z", "...+08:00").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace brix {

// `field` names the flag or field in the error message.
[[nodiscard]] Result<uint64_t> ParseTimestamp(std::string_view text, std::string_view field);
// "2026-11-24 03:00:00.123 UTC" for a TSO (its physical part).
std::string FormatTso(uint64_t ts);

}  // namespace brix
