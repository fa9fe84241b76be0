// Compaction re-runs against a real cluster, checked against the source and the workload oracle:
// a re-run after a failure compacts exactly the plan of the first attempt, never more inputs than
// it compacted, and a window whose versions may still be arriving is refused.
#include <gtest/gtest.h>

#include "br/log/log_test_fixture.h"
#include "common/env.h"
#include "common/tso.h"

namespace brix::br {
namespace {

TEST_F(LogBackupTest, CompactionRerunAfterAFaultCompactsExactlyItsPlanAndPitrIsExact) {
  ASSERT_TRUE(StartLogTask(LogTo("plan", Url("log"))).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  auto a = cluster::FindTable(source_->kv(), "app", "a", Now());
  auto b = cluster::FindTable(source_->kv(), "app", "b", Now());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_LT(a->id, b->id) << "app.b must be the second table compacted";
  CompactOptions o;
  o.storage_url = Url("log");
  o.from_ts = snapshot;
  o.name = "plan";
  o.concurrency = 1;  // one key range at a time, in key (so table) order
  // A storage fault at the meta of the second table's first range: the first attempt dies after
  // the first table (small tables are one range each).
  o.env = MapEnv({{"BRIX_STORAGE_FAULTS", "fail-put=metas/" + std::to_string(b->id) + "_0.cmeta"}});

  StartWorkload(10, Seed());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  // A window ending 4 s ahead, the workload still writing into it: the global checkpoint is
  // behind --until, so versions of the window are still arriving. Refused.
  o.until_ts = Now() + TsSpanMs(4000);
  auto early = CompactLog(o);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("past the global checkpoint"), std::string::npos)
      << early.status().ToString();
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("plan", Url("log"), end);

  // The window has settled: the first attempt plans, compacts app.a and fails at app.b's meta.
  auto faulted = CompactLog(o);
  ASSERT_FALSE(faulted.ok());
  EXPECT_NE(faulted.status().message().find("fail-put"), std::string::npos)
      << faulted.status().ToString();
  // More writes (after the window), then a re-run without faults.
  playground::LoadArgs more;
  more.tables = {"app.a", "app.b"};
  more.rows = 300;
  more.value_size = 48;
  more.seed = 9;
  ASSERT_TRUE(playground::RunLoad(source_->kv(), more).ok());
  WaitCheckpoint("plan", Url("log"), Now());
  o.env = env_;
  auto rerun = CompactLog(o);
  ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
  EXPECT_GT(rerun->input_files_size(), 0);
  // Inside the window the compaction replaces raw files: PITR must still be exact there.
  PitrSummary s = ExpectExactPitr(Url("log"), Url("full"), o.until_ts);
  EXPECT_GT(s.compacted_ssts, 0u) << "the compaction was not used";
  ExpectExactPitr(Url("log"), Url("full"), end);
}

}  // namespace
}  // namespace brix::br
