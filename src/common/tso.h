// The layout of a TSO timestamp (docs/format/tso.md), owned here and nowhere else:
//
//   ts = (physical_ms << kLogicalBits) | logical
//
// physical_ms: unix milliseconds; logical: a counter within that millisecond, 0..kMaxLogical.
// kvpd issues them (cluster/pd/tso_allocator.h); everything that turns a ts into a wall-clock
// time or a duration into a ts distance goes through these functions.
#pragma once

#include <cstdint>

namespace brix {

inline constexpr int kTsLogicalBits = 18;
// Logical values per millisecond: 0 .. kTsMaxLogical.
inline constexpr uint64_t kTsLogicalPerMs = uint64_t{1} << kTsLogicalBits;
inline constexpr uint64_t kTsMaxLogical = kTsLogicalPerMs - 1;

// `logical` must be ≤ kTsMaxLogical (a larger one would spill into the physical part).
constexpr uint64_t ComposeTs(uint64_t physical_ms, uint64_t logical) {
  return (physical_ms << kTsLogicalBits) | logical;
}
// Physical milliseconds of a ts.
constexpr uint64_t TsPhysicalMs(uint64_t ts) { return ts >> kTsLogicalBits; }
constexpr uint64_t TsLogical(uint64_t ts) { return ts & kTsMaxLogical; }
// The ts distance of `ms` milliseconds (ts + TsSpanMs(1000) is one second later).
constexpr uint64_t TsSpanMs(uint64_t ms) { return ComposeTs(ms, 0); }

}  // namespace brix
