#include "storage/fault/fault_injecting_storage.h"

#include <gtest/gtest.h>

#include "storage/local/local_storage.h"
#include "storage/retrying_storage.h"
#include "storage/storage_conformance.h"
#include "testing/temp_dir.h"

namespace brix::storage {
namespace {

BackoffOptions FastBackoff() {
  return {.max_attempts = 30,
          .base_delay = std::chrono::milliseconds(1),
          .max_delay = std::chrono::milliseconds(5)};
}

TEST(FaultInjectionTest, FaultsActuallyHappenWithoutRetries) {
  brix::testing::TempDir dir;
  auto local = OpenLocalStorage(dir.path());
  ASSERT_TRUE(local.ok());
  FaultOptions options;
  options.error_rate = 0.2;
  options.drop_rate = 0.2;
  options.seed = 3;
  auto faulty = WrapWithFaults(std::move(*local), options);
  int failures = 0;
  for (int i = 0; i < 200; ++i) {
    std::string name = "o";  // appended: `"o" + std::to_string(i)` trips GCC 12's -Wrestrict
    name += std::to_string(i);
    if (!faulty->Put(name, "x").ok()) ++failures;
  }
  // 1 - 0.8 * 0.8 = 36 % expected; a broken injector would give 0.
  EXPECT_GT(failures, 40);
  EXPECT_LT(failures, 110);
}

TEST(FaultInjectionTest, EveryOperationSucceedsThroughRetriesWithTwentyPercentFaults) {
  brix::testing::TempDir dir;
  auto local = OpenLocalStorage(dir.path());
  ASSERT_TRUE(local.ok());
  auto storage = WrapWithRetries(
      WrapWithFaults(std::move(*local), *ParseFaultOptions("rate=0.6,seed=11")), FastBackoff());
  testing::CheckBasicOperations(*storage, 2 << 20);
  testing::CheckListing(*storage, 300, 50);
  // Streamed reads broken midway resume without duplicating or losing bytes.
  std::string data = testing::RandomBytes(3 << 20, 5);
  ASSERT_TRUE(storage->Put("big", data).ok());
  for (int i = 0; i < 10; ++i) {
    testing::StringSink sink;
    ASSERT_TRUE(storage->GetStream("big", sink).ok());
    ASSERT_TRUE(sink.data == data);
  }
}

TEST(FaultInjectionTest, FailPutRefusesExactlyTheNamedWritesEvenThroughRetries) {
  brix::testing::TempDir dir;
  auto local = OpenLocalStorage(dir.path());
  ASSERT_TRUE(local.ok());
  auto options = ParseFaultOptions("fail-put=metas/7.cmeta");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  auto storage = WrapWithRetries(WrapWithFaults(std::move(*local), *options), FastBackoff());
  EXPECT_TRUE(storage->Put("c/metas/6.cmeta", "x").ok());
  Status s = storage->Put("c/metas/7.cmeta", "x");
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_NE(s.message().find("c/metas/7.cmeta"), std::string::npos) << s.ToString();
  EXPECT_TRUE(storage->Get("c/metas/7.cmeta").status().IsNotFound());
  EXPECT_FALSE(ParseFaultOptions("fail-put=").ok());
}

TEST(FaultInjectionTest, ParseRejectsBadSpecs) {
  EXPECT_FALSE(ParseFaultOptions("rate=2").ok());
  EXPECT_FALSE(ParseFaultOptions("bogus=1").ok());
  EXPECT_FALSE(ParseFaultOptions("rate").ok());
  auto o = ParseFaultOptions("error=0.1,drop=0.2,short-read=0.3,seed=9,latency-ms=4");
  ASSERT_TRUE(o.ok());
  EXPECT_DOUBLE_EQ(o->drop_rate, 0.2);
  EXPECT_EQ(o->seed, 9u);
  EXPECT_EQ(o->max_latency.count(), 4);
}

}  // namespace
}  // namespace brix::storage
