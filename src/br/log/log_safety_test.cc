// Log backup: nothing lost, nothing resurrected. A buffer that cannot be written holds the
// checkpoint until the node has caught up; task state changes and truncation bounds never
// overwrite a concurrent change; a stopped task stays stopped, without a safepoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "br/log/log_files.h"
#include "br/log/log_test_fixture.h"
#include "br/meta_seal.h"
#include "cluster/client/log_task_client.h"
#include "cluster/safepoints.h"
#include "common/net_util.h"
#include "common/tso.h"
#include "storage/open_storage.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

TEST_F(LogBackupTest, BufferWriteFailureHoldsTheCheckpointAndTheNodesCatchUpOnceTheDiskHasRoom) {
  ASSERT_TRUE(StartLogTask(LogTo("buffer", Url("log"))).ok());
  FullBackup(Url("full"));
  StartWorkload(12, Seed());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  {
    std::ofstream(buffer_fault_file_) << "disk full";  // every node's buffer writes fail now
  }
  const uint64_t fault_ts = Now();
  bool shown = brix::PollUntil(
      [&] {
        auto st = GetLogTaskStatus(source_->pd_addresses(), "buffer");
        return st.ok() && st->state == "error" && !st->store_errors.empty();
      },
      std::chrono::seconds(20));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // several flush intervals, still full
  const uint64_t during_fault = Now();
  auto during = GetLogTaskStatus(source_->pd_addresses(), "buffer");
  auto stored = LogMetadata(Url("log"), env_);
  std::filesystem::remove(buffer_fault_file_);  // the disk has room again
  JoinWorkload();
  EXPECT_TRUE(shown) << "`brix log status` never showed the buffer error";
  ASSERT_TRUE(during.ok()) << during.status().ToString();
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_LT(during->checkpoint_ts, fault_ts) << "the checkpoint passed writes the buffer lost";
  EXPECT_LT(stored->checkpoint, fault_ts) << "the stored checkpoint passed lost writes";
  if (!during->store_errors.empty()) {
    EXPECT_NE(during->store_errors.begin()->second.find("log backup buffer"), std::string::npos)
        << during->store_errors.begin()->second;
  }
  const uint64_t end = Now();
  WaitCheckpoint("buffer", Url("log"), end);
  auto after = GetLogTaskStatus(source_->pd_addresses(), "buffer");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, "running");
  EXPECT_TRUE(after->store_errors.empty());
  ExpectExactPitr(Url("log"), Url("full"), end);
  ExpectExactPitr(Url("log"), Url("full"), during_fault);
}

// A small cluster for the task-state tests: one logging node, no data.
class LogTaskStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = StartCluster(1, true);
    ASSERT_NE(cluster_, nullptr);
  }
  const std::string& pd() { return cluster_->pd_addresses(); }
  Status Start(const std::string& task, const std::string& prefix) {
    LogStartOptions o;
    o.pd = pd();
    o.task_name = task;
    o.storage_url = "local://" + dir_.path() + "/" + prefix;
    return StartLogTask(o).status();
  }
  // The smallest service safepoint, found with a probe safepoint at the current ts (so it is the
  // probe's ts when there is no other).
  std::pair<uint64_t, uint64_t> MinServiceSafePointAndProbe() {
    uint64_t probe = *cluster_->pd().GetTs();
    auto min = cluster_->pd().UpdateServiceSafePoint("probe", probe, 60);
    EXPECT_TRUE(min.ok()) << min.status().ToString();
    cluster_->pd().UpdateServiceSafePoint("probe", 0, 0).status().IgnoreError();
    return {min.ok() ? *min : 0, probe};
  }
  Result<cluster::LogTaskGetResponse> Raw(const std::string& task) {
    return cluster::LogTaskClient(cluster_->pd()).Get(task);
  }
  // What a node's flush reports to kvpd: its store checkpoint, moving the task's safepoint.
  Status ReportCheckpoint(const std::string& task, int64_t create_revision, uint64_t ts) {
    cluster::LogCheckpointReport report;
    report.name = task;
    report.store_id = 1;
    report.checkpoint = ts;
    report.task_create_revision = create_revision;
    report.service_safepoint = cluster::LogTaskSafePointName(task);
    report.safepoint_ttl = std::chrono::seconds(3600);
    return cluster::LogTaskClient(cluster_->pd()).ReportCheckpoint(report).status();
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ClusterHarness> cluster_;
};

TEST_F(LogTaskStateTest, ConcurrentStopAndPauseAlwaysEndStoppedWithoutASafepoint) {
  for (int round = 0; round < 8; ++round) {
    const std::string task = "race" + std::to_string(round);
    ASSERT_TRUE(Start(task, task).ok());
    Status paused, stopped;
    std::thread a([&] { paused = PauseLogTask(pd(), task); });
    std::thread b([&] { stopped = StopLogTask(pd(), task); });
    a.join();
    b.join();
    EXPECT_TRUE(stopped.ok()) << stopped.ToString();
    auto st = GetLogTaskStatus(pd(), task);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->state, "stopped") << "round " << round << ": pause " << paused.ToString();
    auto [min, probe] = MinServiceSafePointAndProbe();
    EXPECT_EQ(min, probe) << "round " << round << ": a stopped task still holds a safepoint";
  }
}

TEST_F(LogTaskStateTest, ResumeReRegistersTheServiceSafepointBeforeItReturns) {
  ASSERT_TRUE(Start("resume", "resume").ok());
  ASSERT_TRUE(PauseLogTask(pd(), "resume").ok());
  // The pause's safepoint expired while paused (its TTL is a day).
  ASSERT_TRUE(
      cluster_->pd().UpdateServiceSafePoint(cluster::LogTaskSafePointName("resume"), 0, 0).ok());
  ASSERT_TRUE(ResumeLogTask(pd(), "resume").ok());
  // The running task's nodes may report a newer checkpoint (moving the safepoint with it) at any
  // moment: the safepoint read must lie between the checkpoints read before and after it.
  auto before = GetLogTaskStatus(pd(), "resume");
  ASSERT_TRUE(before.ok());
  auto [min, probe] = MinServiceSafePointAndProbe();
  auto after = GetLogTaskStatus(pd(), "resume");
  ASSERT_TRUE(after.ok());
  EXPECT_GE(min, before->checkpoint_ts - 1)
      << "no safepoint protects the resumed task (probe " << probe << ")";
  EXPECT_LE(min, after->checkpoint_ts - 1) << "the safepoint is past the task's checkpoint";
}

TEST_F(LogTaskStateTest, ALateCheckpointAfterStopRecreatesNeitherCheckpointsNorSafepoint) {
  ASSERT_TRUE(Start("late", "late1").ok());
  ASSERT_TRUE(brix::PollUntil(
      [&] {
        auto st = GetLogTaskStatus(pd(), "late");
        return st.ok() && !st->store_checkpoints.empty();
      },
      std::chrono::seconds(30)));
  auto raw = Raw("late");
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(StopLogTask(pd(), "late").ok());
  auto before = GetLogTaskStatus(pd(), "late");
  ASSERT_TRUE(before.ok());
  // A flush that was in flight when the task stopped reports now (a ts an hour ahead, so no
  // real flush can reach it).
  const uint64_t ahead = *cluster_->pd().GetTs() + TsSpanMs(3'600'000);
  Status late = ReportCheckpoint("late", raw->create_revision(), ahead);
  EXPECT_FALSE(late.ok()) << "kvpd took a checkpoint of a stopped task";
  auto after = GetLogTaskStatus(pd(), "late");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, "stopped");
  EXPECT_EQ(after->store_checkpoints, before->store_checkpoints);
  auto [min, probe] = MinServiceSafePointAndProbe();
  EXPECT_EQ(min, probe) << "the late report re-created the stopped task's safepoint";
  // The name is reused for a new task: the old task's late report must not count for it.
  ASSERT_TRUE(Start("late", "late2").ok());
  Status stale = ReportCheckpoint("late", raw->create_revision(), ahead);
  EXPECT_FALSE(stale.ok()) << "kvpd took the old task's checkpoint for the new one";
  auto now = GetLogTaskStatus(pd(), "late");
  ASSERT_TRUE(now.ok());
  for (const auto& [store, ts] : now->store_checkpoints) {
    EXPECT_LT(ts, ahead) << "store " << store << " of the new task got the old one's checkpoint";
  }
}

// Two truncations at once (slow storage, so each reads the bound before the other writes it):
// the bound afterwards is the higher of the two, every time.
TEST(LogTruncateTest, ConcurrentTruncationsOnlyEverRaiseTheBound) {
  testing::TempDir dir;
  const std::string url = "local://" + dir.path() + "/log";
  auto storage = storage::OpenStorage(url, ProcessEnv());
  ASSERT_TRUE(storage.ok());
  LogLocation loc;
  loc.set_task("t");
  loc.set_start_ts(1000);
  ASSERT_TRUE(PutMeta(**storage, kMetaLogLocation, kLogLocationName, loc).ok());
  ASSERT_TRUE((*storage)
                  ->Put(std::string(kGlobalCheckpointPrefix) + "1.ts",
                        SealMeta(kMetaGlobalCheckpoint, std::to_string(1u << 30)))
                  .ok());
  int lowered = 0;
  for (int round = 1; round <= 12; ++round) {
    const uint64_t low = 1000 + 1000 * static_cast<uint64_t>(round), high = low + 500;
    auto slow = [&](int seed) {
      return MapEnv({{"BRIX_STORAGE_FAULTS",
                      "rate=0,latency-ms=40,seed=" + std::to_string(round * 2 + seed)}});
    };
    Status a, b;
    std::thread ta([&] { a = TruncateLog(url, low, slow(0)).status(); });
    std::thread tb([&] { b = TruncateLog(url, high, slow(1)).status(); });
    ta.join();
    tb.join();
    ASSERT_TRUE(a.ok()) << a.ToString();
    ASSERT_TRUE(b.ok()) << b.ToString();
    auto range = LogMetadata(url);
    ASSERT_TRUE(range.ok());
    if (range->min_ts != high) {
      ++lowered;
      ADD_FAILURE() << "round " << round << ": bound " << range->min_ts << ", want " << high;
    }
  }
  EXPECT_EQ(lowered, 0);
}

}  // namespace
}  // namespace brix::br
