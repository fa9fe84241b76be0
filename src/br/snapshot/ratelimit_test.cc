// --ratelimit measured end to end. A timing test: ctest runs it alone (RUN_SERIAL), so other
// suites do not take the CPU the scan and the uploads need.
#include <gtest/gtest.h>

#include "br/snapshot/backup.h"
#include "testing/cluster.h"
#include "tools/kvctl/commands.h"

namespace brix::br {
namespace {

TEST(RateLimitTest, HoldsUploadsToTheGivenMiBPerSecond) {
  testing::TempDir dir;
  testing::ClusterOptions co;
  co.nodes = 1;
  auto one = testing::ClusterHarness::Start(co);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  tools::LoadArgs load;
  load.tables = {"app.t1"};
  load.rows = 20000;
  load.value_size = 4000;  // ~80 MiB of random (incompressible) values
  ASSERT_TRUE(tools::RunLoad((*one)->kv(), load).ok());
  BackupOptions o;
  o.pd = (*one)->pd_addresses();
  o.storage_url = "local://" + dir.path() + "/bk";
  o.ratelimit_mib = 20;
  o.compression = "none";
  o.checksum = false;            // time only the transfer
  o.sst_max_bytes = 8ull << 20;  // uploads overlap the scan of the next file
  auto b = RunBackup(o);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  double mib_per_s = static_cast<double>(b->backup_size) / (1 << 20) / b->seconds;
  std::printf("rate limit 20 MiB/s: %.1f MiB in %.2f s = %.2f MiB/s\n",
              static_cast<double>(b->backup_size) / (1 << 20), b->seconds, mib_per_s);
  EXPECT_NEAR(mib_per_s, 20.0, 3.0);  // within 15 %
}

}  // namespace
}  // namespace brix::br
