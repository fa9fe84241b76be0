// --ratelimit measured end to end. A timing test: ctest runs it alone (RUN_SERIAL), so other
// suites do not take the CPU the scan and the uploads need. The limit is set well below what the
// same backup reaches unlimited in the same run (at most 20 MiB/s), so a slow machine (an ASan
// build, a loaded host) still tests the limiter rather than its own speed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "br/snapshot/backup.h"
#include "playground/workload.h"
#include "testing/cluster.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

TEST(RateLimitTest, HoldsUploadsToTheGivenMiBPerSecond) {
  testing::TempDir dir;
  testing::ClusterOptions co;
  co.nodes = 1;
  auto one = testing::ClusterHarness::Start(co);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  playground::LoadArgs load;
  load.tables = {"app.t1"};
  load.rows = 20000;
  load.value_size = 4000;  // ~80 MiB of random (incompressible) values
  ASSERT_TRUE(playground::RunLoad((*one)->kv(), load).ok());
  BackupOptions o;
  o.pd = (*one)->pd_addresses();
  o.compression = "none";
  o.checksum = false;            // time only the transfer
  o.sst_max_bytes = 8ull << 20;  // uploads overlap the scan of the next file
  auto rate = [](const BackupSummary& r) {
    return static_cast<double>(r.backup_size) / (1 << 20) / r.seconds;
  };
  o.storage_url = "local://" + dir.path() + "/unlimited";
  auto unlimited = RunBackup(o);
  ASSERT_TRUE(unlimited.ok()) << unlimited.status().ToString();
  const double limit = std::clamp(std::floor(rate(*unlimited) / 2), 1.0, 20.0);
  o.storage_url = "local://" + dir.path() + "/bk";
  o.ratelimit_mib = limit;
  auto b = RunBackup(o);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::printf("unlimited %.2f MiB/s; rate limit %.0f MiB/s: %.1f MiB in %.2f s = %.2f MiB/s\n",
              rate(*unlimited), limit, static_cast<double>(b->backup_size) / (1 << 20), b->seconds,
              rate(*b));
  EXPECT_NEAR(rate(*b), limit, limit * 0.15);
}

}  // namespace
}  // namespace brix::br
