// Log-backup object names (log_files.h): where data, metas and truncation bounds live.
#include "br/log/log_files.h"

#include <gtest/gtest.h>

#include "common/tso.h"

namespace brix::br {
namespace {

// The TSO of a UTC unix time in seconds.
uint64_t Tso(uint64_t unix_seconds) { return ComposeTs(unix_seconds * 1000, 0); }

TEST(LogDataName, FilesByTheUtcHourOfTheFlushTs) {
  // 2023-03-08 02:48:00 UTC
  EXPECT_EQ(LogDataName(4, Tso(1678243680), "u1"),
            "v1/20230308/02/4/" + std::to_string(Tso(1678243680)) + "-u1.log");
  // The last second of an hour and the first of the next land in different folders.
  EXPECT_TRUE(LogDataName(1, Tso(1678244399), "x").starts_with("v1/20230308/02/"));
  EXPECT_TRUE(LogDataName(1, Tso(1678244400), "x").starts_with("v1/20230308/03/"));
  // Midnight rolls the date.
  EXPECT_TRUE(LogDataName(1, Tso(1678319999), "x").starts_with("v1/20230308/23/"));
  EXPECT_TRUE(LogDataName(1, Tso(1678320000), "x").starts_with("v1/20230309/00/"));
  // ts 0 is the epoch.
  EXPECT_EQ(LogDataName(0, 0, "z"), "v1/19700101/00/0/0-z.log");
}

TEST(LogMetaName, IsUnderTheMetaPrefixFlushFirst) {
  EXPECT_EQ(LogMetaName(4, 123, "u1"), "v1/backupmeta/123-4-u1.meta");
  EXPECT_TRUE(LogMetaName(1, 1, "a").starts_with(kLogMetaPrefix));
}

TEST(TruncationBoundName, IsZeroPaddedSoNamesSortLikeBounds) {
  EXPECT_EQ(TruncationBoundName(0), "v1/truncated/00000000000000000000");
  EXPECT_EQ(TruncationBoundName(42), "v1/truncated/00000000000000000042");
  EXPECT_EQ(TruncationBoundName(UINT64_MAX), "v1/truncated/18446744073709551615");
  EXPECT_LT(TruncationBoundName(9), TruncationBoundName(10));
  EXPECT_LT(TruncationBoundName(99999), TruncationBoundName(100000));
}

TEST(ParseTruncationBoundName, RoundTripsAndRefusesAnythingElse) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{443'000'000'000'000'000}, UINT64_MAX}) {
    EXPECT_EQ(ParseTruncationBoundName(TruncationBoundName(v)), v);
  }
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/7"), 7u);  // padding is not required
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/12x"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/-1"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/task"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("00000000000000000001"), std::nullopt);
}

}  // namespace
}  // namespace brix::br
