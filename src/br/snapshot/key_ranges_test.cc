// What an interrupted snapshot backup still has to do (key_ranges.h).
#include "br/snapshot/key_ranges.h"

#include <gtest/gtest.h>

namespace brix::br {
namespace {

using Done = std::map<std::string, std::string>;
using Ranges = std::vector<KeyRange>;

TEST(SubtractRanges, EmptyInputs) {
  EXPECT_TRUE(SubtractRanges({}, {}).empty());
  EXPECT_TRUE(SubtractRanges({}, Done{{"a", "z"}}).empty());
  EXPECT_EQ(SubtractRanges({{"a", "c", 1}}, {}), (Ranges{{"a", "c", 1}}));
}

TEST(SubtractRanges, AWhollyFinishedRangeDisappears) {
  EXPECT_TRUE(SubtractRanges({{"b", "d", 1}}, Done{{"b", "d"}}).empty());
  EXPECT_TRUE(SubtractRanges({{"b", "d", 1}}, Done{{"a", "z"}}).empty());
}

TEST(SubtractRanges, AdjacentFinishedRangesDoNotOverlap) {
  // [a, c) done ends exactly where [c, e) starts: nothing of it is done.
  EXPECT_EQ(SubtractRanges({{"c", "e", 1}}, Done{{"a", "c"}}), (Ranges{{"c", "e", 1}}));
  // A finished range starting at the range's end leaves it whole.
  EXPECT_EQ(SubtractRanges({{"c", "e", 1}}, Done{{"e", "g"}}), (Ranges{{"c", "e", 1}}));
  // Two touching finished ranges cover the whole range between them.
  EXPECT_TRUE(SubtractRanges({{"a", "e", 1}}, Done{{"a", "c"}, {"c", "e"}}).empty());
}

TEST(SubtractRanges, OverlapsAtEitherEndTrimTheRange) {
  EXPECT_EQ(SubtractRanges({{"c", "g", 1}}, Done{{"a", "d"}}), (Ranges{{"d", "g", 1}}));
  EXPECT_EQ(SubtractRanges({{"c", "g", 1}}, Done{{"f", "z"}}), (Ranges{{"c", "f", 1}}));
}

TEST(SubtractRanges, HolesSplitTheRangeInKeyOrder) {
  EXPECT_EQ(SubtractRanges({{"a", "z", 3}}, Done{{"c", "e"}, {"m", "p"}}),
            (Ranges{{"a", "c", 3}, {"e", "m", 3}, {"p", "z", 3}}));
}

TEST(SubtractRanges, EachPieceKeepsItsTableAndRangesStayInOrder) {
  Ranges ranges = {{"t1a", "t1z", 1}, {"t2a", "t2z", 2}, {"t3a", "t3z", 3}};
  // One finished range spans the end of table 1 and the start of table 2; table 3 is untouched.
  EXPECT_EQ(SubtractRanges(ranges, Done{{"t1m", "t2m"}}),
            (Ranges{{"t1a", "t1m", 1}, {"t2m", "t2z", 2}, {"t3a", "t3z", 3}}));
}

TEST(SubtractRanges, AFinishedRangeStartingBeforeTheCursorStillCounts) {
  // The finished range that starts before the range (found by stepping back) covers its head.
  EXPECT_EQ(SubtractRanges({{"b", "f", 1}}, Done{{"a", "c"}, {"d", "e"}}),
            (Ranges{{"c", "d", 1}, {"e", "f", 1}}));
}

}  // namespace
}  // namespace brix::br
