// The fixture of the log backup e2e tests (log_test.cc, compaction_test.cc, log_meta_test.cc,
// log_safety_test.cc): a 3-node source cluster logging every 500 ms with app.a and app.b loaded,
// a workload writing an oracle, and PITR into fresh clusters checked against the source and the
// oracle.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "br/log/compaction.h"
#include "br/log/log_task.h"
#include "br/log/pitr.h"
#include "br/log/truncate.h"
#include "br/snapshot/backup.h"
#include "cluster/catalog.h"
#include "cluster/oracle.h"
#include "common/net_util.h"
#include "playground/workload.h"
#include "testing/cluster.h"
#include "testing/temp_dir.h"

namespace brix::br {

// `buffer_fault_file`: the nodes' log-buffer fault hook (--test-log-buffer-fault-file).
inline std::unique_ptr<testing::ClusterHarness> StartCluster(
    int nodes, bool logging, const std::string& buffer_fault_file = "") {
  testing::ClusterOptions o;
  o.nodes = nodes;
  if (logging) o.node_args = {"--log-flush-interval-ms", "500"};
  if (!buffer_fault_file.empty()) {
    o.node_args.insert(o.node_args.end(), {"--test-log-buffer-fault-file", buffer_fault_file});
  }
  auto c = testing::ClusterHarness::Start(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

class LogBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    buffer_fault_file_ = dir_.path() + "/buffer-fault";
    source_ = StartCluster(3, true, buffer_fault_file_);
    ASSERT_NE(source_, nullptr);
    playground::LoadArgs load;
    load.tables = {"app.a", "app.b"};
    load.rows = 500;
    load.value_size = 64;
    ASSERT_TRUE(playground::RunLoad(source_->kv(), load).ok());
    oracle_ = dir_.path() + "/oracle";
  }

  std::string Url(const std::string& name) { return "local://" + dir_.path() + "/" + name; }

  LogStartOptions LogTo(const std::string& task, const std::string& url) {
    LogStartOptions o;
    o.pd = source_->pd_addresses();
    o.task_name = task;
    o.storage_url = url;
    o.env = env_;
    return o;
  }

  // Runs the workload on a thread for `seconds` at a modest rate.
  void StartWorkload(double seconds, uint64_t seed) {
    workload_ = std::thread([this, seconds, seed] {
      playground::WorkloadArgs w;
      w.tables = {"app.a", "app.b"};
      w.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
      w.rate = 300;
      w.seed = seed;
      w.threads = 3;
      w.oracle = oracle_;
      workload_status_ = playground::RunWorkload(source_->kv(), w);
    });
  }
  void JoinWorkload() {
    workload_.join();
    ASSERT_TRUE(workload_status_.ok()) << workload_status_.ToString();
  }

  uint64_t Now() { return *source_->pd().GetTs(); }

  // The workload's start (its oracle's base ts): the oracle knows nothing before it.
  uint64_t OracleStart() {
    std::ifstream in(oracle_);
    uint64_t start = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("base ", 0) != 0) continue;
      std::istringstream fields(line);
      std::string tag, table, id;
      uint64_t ts = 0;
      fields >> tag >> table >> id >> ts;
      start = std::max(start, ts);
    }
    return start;
  }

  // Until kvpd and the storage (what PITR reads) both have the checkpoint past ts.
  void WaitCheckpoint(const std::string& task, const std::string& url, uint64_t ts) {
    bool reached = brix::PollUntil(
        [&] {
          auto st = GetLogTaskStatus(source_->pd_addresses(), task);
          auto range = LogMetadata(url, env_);
          return st.ok() && st->checkpoint_ts >= ts && range.ok() && range->checkpoint >= ts;
        },
        std::chrono::seconds(60));
    ASSERT_TRUE(reached) << "checkpoint of " << task << " did not reach " << ts;
  }

  uint64_t FullBackup(const std::string& url) {
    BackupOptions o;
    o.pd = source_->pd_addresses();
    o.storage_url = url;
    o.env = env_;
    auto b = RunBackup(o);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? b->backup_ts : 0;
  }

  LogCompaction Compact(const std::string& url, uint64_t from, uint64_t until,
                        const std::string& name) {
    CompactOptions o;
    o.storage_url = url;
    o.from_ts = from;
    o.until_ts = until;
    o.name = name;
    o.env = env_;
    auto c = CompactLog(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : LogCompaction();
  }

  Result<PitrSummary> Pitr(testing::ClusterHarness& target, const std::string& log_url,
                           const std::string& full_url, uint64_t ts) {
    PitrOptions o;
    o.pd = target.pd_addresses();
    o.log_storage_url = log_url;
    o.full_backup_storage_url = full_url;
    o.restored_ts = ts;
    o.env = env_;
    return RestorePoint(o);
  }

  // PITR into a fresh cluster, then compare with the oracle at ts. Returns the summary.
  PitrSummary ExpectExactPitr(const std::string& log_url, const std::string& full_url,
                              uint64_t ts) {
    PitrSummary out;
    ExpectExactPitrInto(log_url, full_url, ts, &out);
    return out;
  }
  void ExpectExactPitrInto(const std::string& log_url, const std::string& full_url, uint64_t ts,
                           PitrSummary* out) {
    auto target = StartCluster(1, false);
    ASSERT_NE(target, nullptr);
    auto r = Pitr(*target, log_url, full_url, ts);
    ASSERT_TRUE(r.ok()) << "PITR to " << ts << ": " << r.status().ToString();
    *out = *r;
    auto filter = *TableFilter::Parse({"app.*"});
    auto got = cluster::ChecksumTables(target->kv(), *target->pd().GetTs(), filter);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    // What the source holds at ts: what was committed, whatever the client saw.
    auto source = cluster::ChecksumTables(source_->kv(), ts, filter);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    EXPECT_EQ(cluster::FormatChecksums(*got), cluster::FormatChecksums(*source))
        << "PITR to " << ts << " differs from the source at that ts";
    // And with what the workload was told: even with nodes killed under it, every write has the
    // commit ts the client learnt (write ids make retries idempotent).
    auto want = cluster::OracleChecksum(oracle_, ts, filter);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    EXPECT_EQ(cluster::FormatChecksums(*got), cluster::FormatChecksums(*want)) << "PITR to " << ts;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ClusterHarness> source_;
  std::string oracle_;
  std::string buffer_fault_file_;  // while it exists, the source nodes' log buffers fail
  EnvLookup env_ = ProcessEnv();
  std::thread workload_;
  Status workload_status_;
};

inline uint64_t Seed() {
  const char* s = std::getenv("BRIX_TEST_SEED");
  uint64_t seed = s ? std::stoull(s) : 20261124;
  std::printf("seed %llu (replay with BRIX_TEST_SEED)\n", static_cast<unsigned long long>(seed));
  return seed;
}

inline int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

}  // namespace brix::br
