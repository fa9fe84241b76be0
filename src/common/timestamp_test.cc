#include "common/timestamp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/tso.h"

namespace brix {
namespace {

constexpr uint64_t kNewYear2024Ms = 1704067200000ull;  // 2024-01-01T00:00:00Z

struct Accepted {
  const char* text;
  uint64_t physical_ms;
};

TEST(TimestampTest, AcceptsEveryDocumentedFormAsTheSameInstant) {
  const std::vector<Accepted> cases = {
      {"2024-01-01 00:00:00", kNewYear2024Ms},
      {"2024-01-01T00:00:00", kNewYear2024Ms},
      {"2024-01-01t00:00:00", kNewYear2024Ms},
      {"2024-01-01T00:00:00Z", kNewYear2024Ms},
      {"2024-01-01 00:00:00 UTC", kNewYear2024Ms},
      {"2024-01-01 08:00:00 +08:00", kNewYear2024Ms},
      {"2024-01-01T08:00:00+08:00", kNewYear2024Ms},
      {"2024-01-01T08:00:00+0800", kNewYear2024Ms},
      {"2023-12-31T19:00:00-05:00", kNewYear2024Ms},
      {"2024-01-01T00:00:00.5Z", kNewYear2024Ms + 500},
      {"2024-01-01T00:00:00.123456Z", kNewYear2024Ms + 123},
      {"2024-02-29 00:00:00", kNewYear2024Ms + 59ull * 86400'000},  // a leap year
      {"1704067200", kNewYear2024Ms},                               // Unix seconds
      {"1704067200000", kNewYear2024Ms},                            // Unix milliseconds
      {"1704067200250", kNewYear2024Ms + 250},
  };
  for (const Accepted& c : cases) {
    auto ts = ParseTimestamp(c.text, "--ts");
    ASSERT_TRUE(ts.ok()) << c.text << ": " << ts.status().message();
    EXPECT_EQ(TsPhysicalMs(*ts), c.physical_ms) << c.text;
    EXPECT_EQ(*ts & ((1ull << kTsLogicalBits) - 1), 0u) << c.text;
  }
}

TEST(TimestampTest, TakesDigitsInTheTsoSpanAsATsoUnchanged) {
  EXPECT_EQ(*ParseTimestamp("436979621972148225", "--ts"), 436979621972148225ull);
  const uint64_t tso = ComposeTs(kNewYear2024Ms, 7);
  EXPECT_EQ(*ParseTimestamp(std::to_string(tso), "--ts"), tso);
  EXPECT_EQ(*ParseTimestamp("0", "--ts"), 0u);
}

struct Refused {
  const char* text;
  const char* says;  // a piece of the message
};

TEST(TimestampTest, RefusesWhatIsNoRealInstantNamingTheFieldAndWhy) {
  const std::vector<Refused> cases = {
      {"", "not a timestamp"},
      {"yesterday", "not a timestamp"},
      {"2024-01-01", "needs a time"},
      {"2026-02-31 00:00:00", "2026-02 has 28 days"},
      {"2023-02-29 00:00:00", "2023-02 has 28 days"},
      {"2026-04-31T00:00:00Z", "2026-04 has 30 days"},
      {"2024-13-01 00:00:00", "no month 13"},
      {"2024-00-01 00:00:00", "no month 0"},
      {"2024-01-00 00:00:00", "has 31 days"},
      {"2024-01-01 24:00:00", "time of day"},
      {"2024-01-01 23:60:00", "time of day"},
      {"2024-01-01 23:59:60", "time of day"},
      {"2024-01-01 00:00:00 +99:99", "zone offset '+99:99'"},
      {"2024-01-01 00:00:00 +24:00", "zone offset"},
      {"2024-01-01 00:00:00 +08:0x", "zone offset"},
      {"2024-01-01 00:00:00 +8", "zone offset"},
      {"2024-01-01 00:00:00 CET", "unknown zone 'CET'"},
      {"2024-01-01 00:00:00.", "without fraction digits"},
      {"1969-12-31 23:59:59", "before 1970"},
      {"12ab", "not a timestamp"},
      {"99999999999999999999999", "too large"},
      // Digits that are none of TSO / Unix seconds / Unix milliseconds of 2000–2100:
      {"1", "neither a TSO nor Unix seconds"},
      {"1700000000000000", "neither"},     // Unix microseconds
      {"1700000000000000000", "neither"},  // Unix nanoseconds
      {"17000000000", "neither"},          // seconds in 2508
  };
  for (const Refused& c : cases) {
    auto ts = ParseTimestamp(c.text, "spec.commitTs");
    ASSERT_FALSE(ts.ok()) << "'" << c.text << "' was accepted as " << *ts;
    const std::string& m = ts.status().message();
    EXPECT_EQ(m.rfind("spec.commitTs: ", 0), 0u) << m;
    EXPECT_NE(m.find(c.says), std::string::npos) << c.text << " -> " << m;
    EXPECT_NE(m.find("accepted:"), std::string::npos) << m;
  }
}

TEST(TimestampTest, LeavesTheFieldPrefixToTheCallerWhenNoneIsGiven) {
  auto ts = ParseTimestamp("2026-02-31 00:00:00", "");
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.status().message().rfind("'2026-02-31 00:00:00' is not a real date", 0), 0u)
      << ts.status().message();
}

}  // namespace
}  // namespace brix
