// The names and TTLs of what holds GC back (cluster/safepoints.h). The names are stored in etcd
// and in backup lock files, and coordinator and nodes of different versions must agree on them.
#include "cluster/safepoints.h"

#include <gtest/gtest.h>

namespace brix::cluster {
namespace {

TEST(SafePointNames, EachKindHasItsPrefix) {
  EXPECT_EQ(BackupSafePointName("5f0c"), "br-5f0c");
  EXPECT_EQ(LogTaskSafePointName("nightly"), "log-nightly");
  EXPECT_EQ(RestoreGcPauseOwner("5f0c"), "restore-5f0c");
  EXPECT_EQ(PitrGcPauseOwner("5f0c"), "pitr-5f0c");
}

TEST(SafePointNames, TtlsOutliveTheirRefreshes) {
  EXPECT_EQ(kLogSafePointTtl, std::chrono::hours(24));
  EXPECT_EQ(kBackupSafePointTtl, std::chrono::hours(1));
  EXPECT_LT(kBackupSafePointRefresh * 10, kBackupSafePointTtl);
  EXPECT_EQ(kGcPauseTtl, std::chrono::minutes(5));
}

}  // namespace
}  // namespace brix::cluster
