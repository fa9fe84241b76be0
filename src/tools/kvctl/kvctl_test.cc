// kvctl as a user runs it, against a real cluster: workload with an oracle, then the cluster's
// checksum equals the oracle's at several timestamps taken during the run.
#include <gtest/gtest.h>

#include <fstream>

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
  ASSERT_TRUE(testing::PollUntil([&] { return base_lines() == 2; }, std::chrono::seconds(30)));
  std::vector<std::string> stamps;
  while (workload->Running()) {
    std::string ts = Kvctl({"tso"}).output;
    if (!ts.empty()) ts.pop_back();
    stamps.push_back(ts);
    testing::PollUntil([&] { return !workload->Running(); }, std::chrono::milliseconds(700));
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
