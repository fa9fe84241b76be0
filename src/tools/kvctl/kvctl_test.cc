// kvctl as a user runs it, against a real cluster: workload with an oracle, then the cluster's
// checksum equals the oracle's at several timestamps taken during the run.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include "cluster/catalog.h"
#include "cluster/oracle.h"
#include "common/net_util.h"
#include "common/process.h"
#include "testing/cluster.h"

namespace brix {
namespace {

const std::string kKvctl = std::string(BRIX_BIN_DIR) + "/kvctl";

class KvctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ClusterOptions o;
    o.nodes = 3;
    auto c = testing::ClusterHarness::Start(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c);
  }
  CommandResult Kvctl(std::vector<std::string> args) {
    args.insert(args.begin(), kKvctl);
    auto r = RunCommand(args, {{"BRIX_PD", cluster_->pd_addresses()}});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : CommandResult{};
  }
  std::unique_ptr<testing::ClusterHarness> cluster_;
};

TEST_F(KvctlTest, ChecksumEqualsOracleAtTimestampsTakenDuringTheWorkload) {
  ASSERT_EQ(Kvctl({"load", "--table", "db.a,db.b,db.c", "--rows", "3000", "--value-size", "64"})
                .exit_code,
            0);
  std::string before = Kvctl({"tso"}).output;
  std::string oracle = cluster_->dir() + "/oracle";
  auto workload =
      ChildProcess::Start({kKvctl, "--pd", cluster_->pd_addresses(), "workload", "--tables",
                           "db.a,db.b", "--duration", "6s", "--seed", "7", "--oracle", oracle},
                          {}, cluster_->dir() + "/workload.log");
  ASSERT_TRUE(workload.ok());
  // Stamps count only once the workload has recorded where it starts (its base lines).
  auto base_lines = [&] {
    std::ifstream in(oracle);
    int n = 0;
    for (std::string line; std::getline(in, line);) n += line.rfind("base ", 0) == 0;
    return n;
  };
  ASSERT_TRUE(brix::PollUntil([&] { return base_lines() == 2; }, std::chrono::seconds(30)));
  std::vector<std::string> stamps;
  while (workload->Running()) {
    std::string ts = Kvctl({"tso"}).output;
    if (!ts.empty()) ts.pop_back();
    stamps.push_back(ts);
    brix::PollUntil([&] { return !workload->Running(); }, std::chrono::milliseconds(700));
  }
  ASSERT_GE(stamps.size(), 4u);
  int compared = 0;
  for (const auto& ts : stamps) {
    auto live = Kvctl({"checksum", "--ts", ts, "-f", "db.a", "-f", "db.b"});
    auto expected = Kvctl({"oracle-checksum", "--oracle", oracle, "--ts", ts, "-f", "db.[ab]"});
    ASSERT_EQ(live.exit_code, 0) << live.output;
    ASSERT_EQ(expected.exit_code, 0) << expected.output;
    EXPECT_EQ(live.output, expected.output) << "at ts " << ts;
    EXPECT_NE(live.output.find("total kvs="), std::string::npos);
    ++compared;
  }
  EXPECT_GE(compared, 4);
  // Before the workload started the oracle cannot know: refused, not guessed.
  before.pop_back();
  auto early = Kvctl({"oracle-checksum", "--oracle", oracle, "--ts", before});
  EXPECT_NE(early.exit_code, 0);
  EXPECT_NE(early.output.find("before the workload started"), std::string::npos) << early.output;
}

// A write whose reply dies with its node (kill -9 between the durable write and the reply) is
// retried by the client. The oracle must still record exactly what the cluster holds: every
// version of the workload's keys, at its commit ts, and nothing of unknown outcome.
TEST_F(KvctlTest, OracleEqualsTheClusterVersionByVersionAcrossRepeatedKillNineOfNodes) {
  const char* seed_env = std::getenv("BRIX_TEST_SEED");
  const uint64_t seed = seed_env ? std::stoull(seed_env) : 20261129;
  std::printf("seed %llu (replay with BRIX_TEST_SEED)\n", static_cast<unsigned long long>(seed));
  ASSERT_EQ(
      Kvctl({"load", "--table", "db.a,db.b", "--rows", "500", "--value-size", "32"}).exit_code, 0);
  std::string oracle = cluster_->dir() + "/oracle";
  std::string log = cluster_->dir() + "/workload.log";
  auto workload = ChildProcess::Start(
      {kKvctl, "--pd", cluster_->pd_addresses(), "workload", "--tables", "db.a,db.b", "--duration",
       "16s", "--threads", "12", "--seed", std::to_string(seed), "--oracle", oracle},
      {}, log);
  ASSERT_TRUE(workload.ok());
  auto base_lines = [&] {
    std::ifstream in(oracle);
    int n = 0;
    for (std::string line; std::getline(in, line);) n += line.rfind("base ", 0) == 0;
    return n;
  };
  ASSERT_TRUE(brix::PollUntil([&] { return base_lines() == 2; }, std::chrono::seconds(30)));
  // kill -9 at random moments while the writers are busy; each node goes down at least once.
  std::mt19937_64 rng(seed);
  std::vector<std::string> stamps;
  for (int i = 0; i < 6 && workload->Running(); ++i) {
    brix::PollUntil([&] { return !workload->Running(); },
                    std::chrono::milliseconds(600 + rng() % 1200));
    cluster_->KillNode(i % 3);
    ASSERT_TRUE(cluster_->RestartNode(i % 3).ok());
    std::string ts = Kvctl({"tso"}).output;
    if (!ts.empty()) ts.pop_back();
    stamps.push_back(ts);
  }
  ASSERT_TRUE(brix::PollUntil([&] { return !workload->Running(); }, std::chrono::seconds(120)));
  std::string summary;
  {
    std::ifstream in(log);
    std::stringstream all;
    all << in.rdbuf();
    summary = all.str();
  }
  EXPECT_NE(summary.find(" 0 failed"), std::string::npos) << summary;

  auto records = cluster::ReadOracle(oracle);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_TRUE(records->ambiguous.empty())
      << records->ambiguous.size() << " writes of unknown outcome, first at line "
      << records->ambiguous.front().line;
  ASSERT_EQ(records->bases.size(), 2u);
  // The cluster's history of the workload's keys (everything after its start) vs the oracle's.
  using Entry = std::tuple<std::string, uint64_t, bool, std::string>;  // key, ts, delete, value
  std::set<Entry> cluster_history, oracle_history;
  for (const auto& w : records->writes)
    oracle_history.insert({w.key, w.commit_ts, w.is_delete, w.value});
  uint64_t now = *cluster_->pd().GetTs();
  for (const auto& b : records->bases) {
    ASSERT_TRUE(cluster_->kv()
                    .ScanVersions(cluster::TablePrefix(b.table_id),
                                  cluster::TablePrefix(b.table_id + 1), b.ts, now,
                                  [&](const cluster::Version& v) {
                                    cluster_history.insert({v.key(), v.commit_ts(),
                                                            v.op() == cluster::DELETE, v.value()});
                                    return true;
                                  })
                    .ok());
  }
  EXPECT_EQ(oracle_history.size(), records->writes.size()) << "a version recorded twice";
  std::vector<Entry> only_cluster, only_oracle;
  std::set_difference(cluster_history.begin(), cluster_history.end(), oracle_history.begin(),
                      oracle_history.end(), std::back_inserter(only_cluster));
  std::set_difference(oracle_history.begin(), oracle_history.end(), cluster_history.begin(),
                      cluster_history.end(), std::back_inserter(only_oracle));
  EXPECT_TRUE(only_cluster.empty())
      << only_cluster.size() << " versions in the cluster the oracle does not know, first at ts "
      << std::get<1>(only_cluster.front());
  EXPECT_TRUE(only_oracle.empty()) << only_oracle.size()
                                   << " versions in the oracle the cluster does not hold, first "
                                      "at ts "
                                   << std::get<1>(only_oracle.front());
  // And the user's view: checksums at the stamps taken right after each restart.
  for (const auto& ts : stamps) {
    auto live = Kvctl({"checksum", "--ts", ts, "-f", "db.a", "-f", "db.b"});
    auto expected = Kvctl({"oracle-checksum", "--oracle", oracle, "--ts", ts, "-f", "db.[ab]"});
    ASSERT_EQ(live.exit_code, 0) << live.output;
    EXPECT_EQ(expected.exit_code, 0) << expected.output;
    EXPECT_EQ(live.output, expected.output) << "at ts " << ts;
  }
}

TEST_F(KvctlTest, BadInputIsRefusedWithTheFlagNamed) {
  auto ts = Kvctl({"checksum", "--ts", "yesterday"});
  EXPECT_NE(ts.exit_code, 0);
  EXPECT_NE(ts.output.find("--ts"), std::string::npos) << ts.output;
  auto table = Kvctl({"create-table", "nodot"});
  EXPECT_NE(table.exit_code, 0);
  EXPECT_NE(table.output.find("DB.TABLE"), std::string::npos) << table.output;
  auto filter = Kvctl({"checksum", "-f", "bad"});
  EXPECT_NE(filter.exit_code, 0);
  EXPECT_NE(filter.output.find("--filter"), std::string::npos) << filter.output;
  EXPECT_EQ(Kvctl({"create-table", "db.x"}).exit_code, 0);
  auto again = Kvctl({"create-table", "db.x"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("already exists"), std::string::npos);
  auto regions = Kvctl({"regions"});
  EXPECT_NE(regions.output.find("region 1 "), std::string::npos) << regions.output;
}

}  // namespace
}  // namespace brix
