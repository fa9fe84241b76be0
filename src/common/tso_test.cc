// The TSO layout (common/tso.h).
#include "common/tso.h"

#include <gtest/gtest.h>

namespace brix {
namespace {

TEST(TsoLayout, ComposeAndSplitAreInverse) {
  const uint64_t ts = ComposeTs(1704067200123ull, 4567);
  EXPECT_EQ(TsPhysicalMs(ts), 1704067200123ull);
  EXPECT_EQ(TsLogical(ts), 4567u);
  EXPECT_EQ(ts, (1704067200123ull << 18) | 4567);  // the layout other systems read
}

TEST(TsoLayout, TheLogicalPartHoldsEighteenBits) {
  EXPECT_EQ(kTsLogicalBits, 18);
  EXPECT_EQ(kTsMaxLogical, 262143u);
  const uint64_t last = ComposeTs(7, kTsMaxLogical);
  EXPECT_EQ(TsPhysicalMs(last), 7u);
  EXPECT_EQ(last + 1, ComposeTs(8, 0)) << "the max logical is the last ts of its millisecond";
}

TEST(TsoLayout, ASpanOfMillisecondsMovesOnlyThePhysicalPart) {
  const uint64_t ts = ComposeTs(1000, 12);
  EXPECT_EQ(ts + TsSpanMs(3000), ComposeTs(4000, 12));
  EXPECT_EQ(ts - TsSpanMs(1000), ComposeTs(0, 12));
  EXPECT_EQ(TsSpanMs(0), 0u);
}

}  // namespace
}  // namespace brix
