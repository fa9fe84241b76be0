// Node RPC limits (node_channel.h) against real clusters: a black-holed kvnode (SIGSTOP: its
// sockets stay open, nothing answers) makes backup and restore fail within their configured
// deadlines instead of hanging.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <optional>

#include "br/snapshot/backup.h"
#include "br/snapshot/restore.h"
#include "playground/workload.h"
#include "testing/cluster.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

using namespace std::chrono_literals;

// Far above what the limits below need, far below "forever".
constexpr auto kMustFailWithin = 60s;

std::unique_ptr<testing::ClusterHarness> StartCluster(int nodes) {
  testing::ClusterOptions o;
  o.nodes = nodes;
  auto c = testing::ClusterHarness::Start(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

void Load(testing::ClusterHarness& c) {
  playground::LoadArgs a;
  a.tables = {"app.t1", "app.t2"};
  a.rows = 500;
  a.value_size = 100;
  a.seed = 1;
  Status s = playground::RunLoad(c.kv(), a);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

NodeRpcLimits TestLimits() {
  NodeRpcLimits l;
  l.floor = 1s;
  l.stall = 1s;
  return l;
}

// Runs `op` on its own thread; freezes node 0 of `cluster` when the operation first reports
// `step`. Returns the operation's status, or nullopt if it did not end within kMustFailWithin
// (then the node is resumed so that the operation can end and be joined). Not a Status code:
// the operation's own failure may be a Timeout (an RPC past its deadline).
template <typename Op>
std::optional<Status> RunWithNodeFrozenAt(testing::ClusterHarness& cluster, const std::string& step,
                                          Op op) {
  std::atomic<bool> frozen{false};
  ProgressFn progress = [&](const Progress& p) {
    if (p.step == step && !frozen.exchange(true)) cluster.FreezeNode(0);
  };
  auto started = std::chrono::steady_clock::now();
  auto future = std::async(std::launch::async, [&] { return op(progress); });
  bool ended = future.wait_for(kMustFailWithin) == std::future_status::ready;
  cluster.ResumeNode(0);
  Status s = future.get();
  if (!ended) return std::nullopt;
  auto took =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  EXPECT_TRUE(frozen.load()) << "the operation never reported step " << step;
  std::cerr << "ended after " << took.count() << " s: " << s.ToString() << "\n";
  return s;
}

class NodeDeadlineTest : public ::testing::Test {
 protected:
  std::string Url(const std::string& name) { return "local://" + dir_.path() + "/" + name; }
  testing::TempDir dir_;
};

TEST_F(NodeDeadlineTest, BackupFailsInsteadOfHangingWhenItsOnlyNodeIsBlackHoled) {
  auto source = StartCluster(1);
  ASSERT_NE(source, nullptr);
  Load(*source);
  BackupOptions o;
  o.pd = source->pd_addresses();
  o.storage_url = Url("bk");
  o.node_rpc = TestLimits();
  o.no_progress_limit = 3s;
  o.sst_max_bytes = 64 << 10;  // the stall limit grows with the bytes a node moves per answer
  std::optional<Status> ended = RunWithNodeFrozenAt(
      *source, "backup",
      [&](const ProgressFn& progress) { return RunBackup(o, progress).status(); });
  ASSERT_TRUE(ended.has_value()) << "still running after " << kMustFailWithin.count() << " s";
  const Status& s = *ended;
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("made no progress"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("sent nothing"), std::string::npos) << s.ToString();
}

TEST_F(NodeDeadlineTest, RestoreFailsWithinItsDeadlinesWhenTheTargetNodeIsBlackHoled) {
  auto source = StartCluster(1);
  ASSERT_NE(source, nullptr);
  Load(*source);
  BackupOptions bo;
  bo.pd = source->pd_addresses();
  bo.storage_url = Url("bk");
  ASSERT_TRUE(RunBackup(bo).ok());
  // Frozen while files download, then (a fresh target) while they are ingested.
  for (const char* step : {"download", "ingest"}) {
    SCOPED_TRACE(step);
    auto target = StartCluster(1);
    ASSERT_NE(target, nullptr);
    RestoreOptions ro;
    ro.pd = target->pd_addresses();
    ro.storage_url = Url("bk");
    ro.node_rpc = TestLimits();
    std::optional<Status> ended = RunWithNodeFrozenAt(
        *target, step, [&](const ProgressFn& p) { return RunRestore(ro, p).status(); });
    ASSERT_TRUE(ended.has_value()) << "still running after " << kMustFailWithin.count() << " s";
    const Status& s = *ended;
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("Deadline Exceeded"), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace brix::br
