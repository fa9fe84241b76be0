// What a restore or PITR must never do to its target (issue "nothing lost, nothing
// resurrected"): bring back deleted rows when the target's GC runs during the replay, write
// into a cluster whose log backup would not record it, or make anything visible before the
// whole run succeeded. Against real clusters, checked with the workload oracle.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "br/log/log_files.h"
#include "br/log/log_task.h"
#include "br/log/pitr.h"
#include "br/log/truncate.h"
#include "br/snapshot/backup.h"
#include "br/snapshot/restore.h"
#include "cluster/catalog.h"
#include "cluster/oracle.h"
#include "common/net_util.h"
#include "playground/workload.h"
#include "testing/cluster.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<testing::ClusterHarness> StartCluster(testing::ClusterOptions o) {
  auto c = testing::ClusterHarness::Start(std::move(o));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

// A target whose GC collects everything older than a second, every 5 ms.
std::unique_ptr<testing::ClusterHarness> AggressiveGcTarget() {
  testing::ClusterOptions o;
  o.nodes = 1;
  o.pd_args = {"--gc-life-time", "1"};
  o.node_args = {"--gc-interval-ms", "5"};
  return StartCluster(o);
}

class PitrSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ClusterOptions o;
    o.nodes = 3;
    o.node_args = {"--log-flush-interval-ms", "300"};
    source_ = StartCluster(o);
    ASSERT_NE(source_, nullptr);
    playground::LoadArgs load;
    load.tables = {"app.a", "app.b"};
    load.rows = 300;
    load.value_size = 32;
    ASSERT_TRUE(playground::RunLoad(source_->kv(), load).ok());
    oracle_ = dir_.path() + "/oracle";
  }

  std::string Url(const std::string& name) { return "local://" + dir_.path() + "/" + name; }

  Status StartLog(testing::ClusterHarness& c, const std::string& task, const std::string& url) {
    LogStartOptions o;
    o.pd = c.pd_addresses();
    o.task_name = task;
    o.storage_url = url;
    return StartLogTask(o).status();
  }

  uint64_t FullBackup(const std::string& url) {
    BackupOptions o;
    o.pd = source_->pd_addresses();
    o.storage_url = url;
    auto b = RunBackup(o);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? b->backup_ts : 0;
  }

  // Many updates and deletes of few keys, so each key has versions in many log files.
  void RunWorkload(double seconds, double rate) {
    playground::WorkloadArgs w;
    w.tables = {"app.a", "app.b"};
    w.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    w.rate = rate;
    w.seed = 20261129;
    w.threads = 3;
    w.oracle = oracle_;
    ASSERT_TRUE(playground::RunWorkload(source_->kv(), w).ok());
  }

  // Workload, then wait until the log's checkpoint passes its end; returns that end.
  uint64_t LogAWorkload(const std::string& task, const std::string& log_url, double seconds,
                        double rate = 400) {
    RunWorkload(seconds, rate);
    uint64_t end = *source_->pd().GetTs();
    bool reached = brix::PollUntil(
        [&] {
          auto range = LogMetadata(log_url);
          return range.ok() && range->checkpoint >= end;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(reached) << "checkpoint of " << task << " did not reach " << end;
    return end;
  }

  Result<PitrSummary> Pitr(testing::ClusterHarness& target, uint64_t ts, int concurrency = 8) {
    PitrOptions o;
    o.concurrency = concurrency;
    o.pd = target.pd_addresses();
    o.log_storage_url = Url("log");
    o.full_backup_storage_url = Url("full");
    o.restored_ts = ts;
    return RestorePoint(o);
  }

  Result<RestoreSummary> Restore(testing::ClusterHarness& target) {
    RestoreOptions o;
    o.pd = target.pd_addresses();
    o.storage_url = Url("full");
    return RunRestore(o);
  }

  std::string Checksums(testing::ClusterHarness& c, uint64_t ts) {
    auto got = cluster::ChecksumTables(c.kv(), ts, *TableFilter::Parse({"app.*"}));
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? cluster::FormatChecksums(*got) : "";
  }
  std::string OracleAt(uint64_t ts) {
    auto want = cluster::OracleChecksum(oracle_, ts, *TableFilter::Parse({"app.*"}));
    EXPECT_TRUE(want.ok()) << want.status().ToString();
    return want.ok() ? cluster::FormatChecksums(*want) : "";
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ClusterHarness> source_;
  std::string oracle_;
};

TEST_F(PitrSafetyTest, PitrIntoATargetWhoseGcRunsConstantlyEqualsTheOracle) {
  ASSERT_TRUE(StartLog(*source_, "gc", Url("log")).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  ASSERT_NE(snapshot, 0u);
  // Short-lived keys (inserted and deleted within a few flushes) in many small files, replayed
  // many files at a time: before the fix this brought back 4 to 32 deleted rows in every run.
  uint64_t end = LogAWorkload("gc", Url("log"), 8, 800);
  auto target = AggressiveGcTarget();
  ASSERT_NE(target, nullptr);
  auto r = Pitr(*target, end, 64);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->log_entries, 1000u);
  EXPECT_EQ(Checksums(*target, *target->pd().GetTs()), OracleAt(end))
      << "deleted rows came back (or writes were lost) in a PITR under GC";
}

TEST_F(PitrSafetyTest, RestoreAndPitrIntoAClusterWithALogBackupAreRefusedNamingTheTask) {
  ASSERT_TRUE(StartLog(*source_, "src", Url("log")).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  ASSERT_NE(snapshot, 0u);
  uint64_t end = LogAWorkload("src", Url("log"), 2);
  testing::ClusterOptions o;
  o.nodes = 1;
  auto target = StartCluster(o);
  ASSERT_NE(target, nullptr);
  ASSERT_TRUE(StartLog(*target, "target-pitr", Url("target-log")).ok());
  for (bool point : {false, true}) {
    Status s = point ? Pitr(*target, end).status() : Restore(*target).status();
    ASSERT_FALSE(s.ok()) << (point ? "PITR" : "restore") << " into a logged cluster succeeded";
    EXPECT_NE(s.message().find("log backup task 'target-pitr'"), std::string::npos) << s.ToString();
  }
  auto now = *target->pd().GetTs();
  EXPECT_TRUE(cluster::ListTables(target->kv(), now)->empty()) << "a refused run wrote a table";
  ASSERT_TRUE(PauseLogTask(target->pd_addresses(), "target-pitr").ok());
  EXPECT_FALSE(Restore(*target).ok()) << "a paused task would miss the restore as well";
  ASSERT_TRUE(StopLogTask(target->pd_addresses(), "target-pitr").ok());
  auto r = Restore(*target);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Checksums(*target, *target->pd().GetTs()), Checksums(*source_, snapshot));
}

// Flips the first byte of every log data file (their SHA-256 no longer match their metas, so
// the replay fails on the first it reads).
void CorruptLogFiles(const std::string& root) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".log") continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.seekg(0);
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(0);
    f.write(&c, 1);
    ++n;
  }
  ASSERT_GT(n, 0) << "no log data file under " << root;
}

TEST_F(PitrSafetyTest, AFailedPitrMakesNothingVisibleAndTheNextRestoreIsExact) {
  ASSERT_TRUE(StartLog(*source_, "bad", Url("log")).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  ASSERT_NE(snapshot, 0u);
  uint64_t end = LogAWorkload("bad", Url("log"), 3);
  CorruptLogFiles(dir_.path() + "/log");
  testing::ClusterOptions o;
  o.nodes = 1;
  auto target = StartCluster(o);
  ASSERT_NE(target, nullptr);
  auto r = Pitr(*target, end);
  ASSERT_FALSE(r.ok()) << "PITR over a corrupted log file succeeded";
  EXPECT_NE(r.status().message().find("SHA-256 does not match"), std::string::npos)
      << r.status().ToString();
  auto tables = cluster::ListTables(target->kv(), *target->pd().GetTs());
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty()) << "a failed PITR published " << tables->size() << " table(s)";
  // The failed run's data stay under ids no later table gets: a restore now is exact.
  auto again = Restore(*target);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Checksums(*target, *target->pd().GetTs()), Checksums(*source_, snapshot));
}

}  // namespace
}  // namespace brix::br
