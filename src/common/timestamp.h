// Timestamps as users write them (docs/format/tso.md) — the one parser behind every CLI flag and
// every CR field that takes a time:
//  - "YYYY-MM-DD HH:MM:SS[.fff]" (or with "T"), UTC unless a zone follows: "Z", "UTC", "+HH:MM",
//    "-HH:MM", "+HHMM" (hours 00–23, minutes 00–59) — RFC 3339 is the "T" form with a zone;
//  - digits: a TSO when they are one of a time between 2000 and 2100 (a number around 4.6e17 in
//    2026), Unix seconds or Unix milliseconds when they lie in that span, and "0" (the start of
//    time). The three spans do not overlap, so digits are never ambiguous; digits in none of
//    them (Unix micro- or nanoseconds, a TSO of 1970) are refused with this list as the hint.
// Impossible dates (31 February, hour 24, second 60) and offsets (+99:99) are refused; nothing is
// normalised into another day.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace brix {

// `field` names the flag or field ("--restored-ts", "spec.commitTs") at the start of the error
// message; empty = no prefix (the caller already names it).
[[nodiscard]] Result<uint64_t> ParseTimestamp(std::string_view text, std::string_view field);
// The same, for text brix wrote itself (a CR's status): 0 when empty or not a timestamp.
uint64_t TimestampOrZero(std::string_view text);
// "2026-11-24 03:00:00.123 UTC" for a TSO (its physical part).
std::string FormatTso(uint64_t ts);

}  // namespace brix
