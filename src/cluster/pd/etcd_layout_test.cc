// Parsing kvpd's values in etcd (cluster/pd/etcd_layout.h): corrupt values are errors naming
// the key, never exceptions.
#include "cluster/pd/etcd_layout.h"

#include <gtest/gtest.h>

namespace brix::cluster::pd_layout {
namespace {

TEST(EtcdLayout, ADecimalNumberParses) {
  auto v = ParseU64(kGcKey, "18446744073709551615");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 18446744073709551615ull);
  auto i = ParseI64(kNextTableKey, "100");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(*i, 100);
}

TEST(EtcdLayout, ACorruptNumberIsACorruptionNamingTheKeyNotAnException) {
  for (const char* bad :
       {"", "abc", "12x", "-1", "+1", " 1", "1 ", "18446744073709551616", "0x10"}) {
    Result<uint64_t> v = Status::OK();
    ASSERT_NO_THROW(v = ParseU64(kTsoKey, bad)) << bad;
    ASSERT_FALSE(v.ok()) << "'" << bad << "' parsed";
    EXPECT_EQ(v.status().code(), Status::Code::kCorruption) << bad;
    EXPECT_NE(v.status().message().find(std::string(kTsoKey)), std::string::npos)
        << v.status().ToString();
  }
  EXPECT_FALSE(ParseI64(kNextTableKey, "9223372036854775808").ok());
  EXPECT_FALSE(ParseI64(kNextTableKey, "-5").ok());
}

TEST(EtcdLayout, AServiceSafePointIsTsSpaceExpiry) {
  ServiceSafePointValue sp{123, 456};
  const std::string key = ServiceSafePointKey("br-x");
  EXPECT_EQ(key, "/brix/pd/gc/service/br-x");
  EXPECT_EQ(FormatServiceSafePoint(sp), "123 456");
  auto back = ParseServiceSafePoint(key, "123 456");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ts, 123u);
  EXPECT_EQ(back->expire_ms, 456u);
  for (const char* bad : {"123", "123 x", "x 456", "", " "}) {
    auto v = ParseServiceSafePoint(key, bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), Status::Code::kCorruption) << bad;
  }
}

TEST(EtcdLayout, OnlyCheckpointKeysOfALogTaskParseAsCheckpoints) {
  const std::string key = LogCheckpointKey("t1", 3);
  EXPECT_EQ(key, "/brix/pd/logtask/t1/ckpt/3");
  auto parts = ParseLogCheckpointKey(key);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->task, "t1");
  EXPECT_EQ(parts->store_id, 3u);
  EXPECT_TRUE(ParseLogCheckpointKey(LogTaskKey("t1", "def")).status().IsNotFound());
  EXPECT_TRUE(ParseLogCheckpointKey(LogTaskKey("t1", "stopped")).status().IsNotFound());
  EXPECT_EQ(ParseLogCheckpointKey("/brix/pd/logtask/t1/ckpt/x").status().code(),
            Status::Code::kCorruption);
}

}  // namespace
}  // namespace brix::cluster::pd_layout
