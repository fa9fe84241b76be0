// Log backup and point-in-time recovery against real clusters and Azurite, checked against the
// workload oracle: a PITR to ts T must hold exactly what `kvctl workload` says was committed at T.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "br/deep_validate.h"
#include "br/log/log_test_fixture.h"
#include "br/log/validate_log.h"
#include "common/net_util.h"
#include "common/process.h"
#include "common/tso.h"
#include "testing/azurite.h"
#include "testing/damage.h"

namespace brix::br {
namespace {

TEST_F(LogBackupTest, RandomisedPitrToManyPointsIsExact) {
  const uint64_t seed = Seed();
  const int seconds = EnvInt("BRIX_PITR_SECONDS", 60);
  const int points = EnvInt("BRIX_PITR_POINTS", 20);
  ASSERT_TRUE(StartLogTask(LogTo("pitr", Url("log"))).ok());
  StartWorkload(seconds, seed);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the workload has a history first
  uint64_t snapshot = FullBackup(Url("full"));
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("pitr", Url("log"), end);
  auto range = LogMetadata(Url("log"));
  ASSERT_TRUE(range.ok());
  EXPECT_GE(range->checkpoint, end);
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> stamps = {snapshot, end};
  while (static_cast<int>(stamps.size()) < points)
    stamps.push_back(snapshot + rng() % (end - snapshot));
  for (uint64_t ts : stamps) ExpectExactPitr(Url("log"), Url("full"), ts);
  // Outside [snapshot, checkpoint]: refused with both bounds.
  auto target = StartCluster(1, false);
  auto early = Pitr(*target, Url("log"), Url("full"), snapshot - 1);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("outside the restorable range [" +
                                          std::to_string(snapshot) + ", "),
            std::string::npos)
      << early.status().ToString();
}

TEST_F(LogBackupTest, NodeKilledTwiceWhileLoggingLosesNothing) {
  const uint64_t seed = Seed();
  ASSERT_TRUE(StartLogTask(LogTo("crash", Url("log"))).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  StartWorkload(12, seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500 + rng() % 2000));
    int victim = static_cast<int>(rng() % 3);
    source_->KillNode(victim);
    ASSERT_TRUE(source_->RestartNode(victim).ok());
  }
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("crash", Url("log"), end);
  ExpectExactPitr(Url("log"), Url("full"), end);
  const uint64_t lo = std::max(snapshot, OracleStart());
  ExpectExactPitr(Url("log"), Url("full"), lo + (end - lo) * 3 / 4);
}

TEST_F(LogBackupTest, PauseWithWritesThenResumeIsExactAcrossThePause) {
  auto azurite = testing::AzuriteServer::Start();
  ASSERT_TRUE(azurite.ok());
  env_ = MapEnv((*azurite)->SharedKeyEnv());
  const std::string log_url = "azure://logs/pause", full_url = "azure://logs/full";
  ASSERT_TRUE(StartLogTask(LogTo("pausing", log_url)).ok());
  uint64_t snapshot = FullBackup(full_url);
  StartWorkload(9, Seed());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(PauseLogTask(source_->pd_addresses(), "pausing").ok());
  auto paused = GetLogTaskStatus(source_->pd_addresses(), "pausing");
  ASSERT_TRUE(paused.ok());
  EXPECT_EQ(paused->state, "paused");
  auto again = PauseLogTask(source_->pd_addresses(), "pausing");
  EXPECT_FALSE(again.ok());
  std::this_thread::sleep_for(std::chrono::seconds(3));  // writes while paused
  ASSERT_TRUE(ResumeLogTask(source_->pd_addresses(), "pausing").ok());
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("pausing", log_url, end);
  ExpectExactPitr(log_url, full_url, end);
  ExpectExactPitr(log_url, full_url, snapshot + (end - snapshot) / 2);
}

TEST_F(LogBackupTest, TruncateKeepsWhatRestoresAfterItAndRefusesBefore) {
  ASSERT_TRUE(StartLogTask(LogTo("trunc", Url("log"))).ok());
  StartWorkload(8, Seed());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  uint64_t full = FullBackup(Url("full"));
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("trunc", Url("log"), end);
  auto sum = TruncateLog(Url("log"), full);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_GT(sum->files_removed, 0u);
  auto range = LogMetadata(Url("log"));
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->min_ts, full);
  ExpectExactPitr(Url("log"), Url("full"), end);
  ExpectExactPitr(Url("log"), Url("full"), full + (end - full) / 3);
  auto target = StartCluster(1, false);
  auto before = Pitr(*target, Url("log"), Url("full"), full - 1);
  ASSERT_FALSE(before.ok());
  auto past = TruncateLog(Url("log"), end + TsSpanMs(3'600'000));  // an hour ahead
  EXPECT_FALSE(past.ok()) << "truncating past the checkpoint must be refused";
}

TEST_F(LogBackupTest, StopIsFinalAndANewTaskStartsOnANewPrefix) {
  ASSERT_TRUE(StartLogTask(LogTo("t1", Url("log1"))).ok());
  auto dup = StartLogTask(LogTo("t1", Url("other")));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("running"), std::string::npos);
  ASSERT_TRUE(StopLogTask(source_->pd_addresses(), "t1").ok());
  auto resume = ResumeLogTask(source_->pd_addresses(), "t1");
  ASSERT_FALSE(resume.ok());
  EXPECT_NE(resume.message().find("stopped"), std::string::npos);
  auto restart = StartLogTask(LogTo("t1", Url("log1")));
  ASSERT_FALSE(restart.ok());
  EXPECT_NE(restart.status().message().find("already holds the log backup"), std::string::npos);
  ASSERT_TRUE(StartLogTask(LogTo("t2", Url("log2"))).ok());
  FullBackup(Url("full"));
  StartWorkload(4, Seed());
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("t2", Url("log2"), end);
  auto st = GetLogTaskStatus(source_->pd_addresses(), "t2");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, "running");
  EXPECT_LT(st->checkpoint_lag_seconds, 30);
  ExpectExactPitr(Url("log2"), Url("full"), end);
}

// `brix validate --deep` of the snapshot "full" and the log "log" (with compactions): the clean
// chain passes with its restorable window; on a copy of both, each kind of damage fails it and
// names the damaged object.
void ExpectDeepValidateNamesEveryDamage(const std::string& dir, uint64_t snapshot, uint64_t end,
                                        const EnvLookup& env) {
  namespace fs = std::filesystem;
  auto deep = [&](const std::string& full, const std::string& log) {
    DeepValidateOptions o;
    o.storage_url = "local://" + full;
    o.log_storage_url = "local://" + log;
    o.concurrency = 4;
    o.env = env;
    return DeepValidate(o);
  };
  auto clean = deep(dir + "/full", dir + "/log");
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  ASSERT_TRUE(clean->ok()) << clean->problems.front().file << ": " << clean->problems.front().what;
  EXPECT_EQ(clean->window_from, snapshot);
  EXPECT_GE(clean->window_until, end);
  EXPECT_GT(clean->kvs, 0u);

  auto first_of = [](const std::string& root, const std::string& prefix,
                     const std::string& suffix) {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      std::string name = e.path().string().substr(root.size() + 1);
      if (e.is_regular_file() && name.starts_with(prefix) && name.ends_with(suffix)) {
        names.push_back(name);
      }
    }
    std::sort(names.begin(), names.end());
    return names.empty() ? std::string() : names.front();
  };
  struct Damage {
    std::string what;
    bool in_log;  // else in the snapshot
    std::string prefix, suffix;
    std::function<void(const std::string& path)> apply;
  };
  const std::vector<Damage> damages = {
      {"a missing snapshot file", false, "", ".sst", [](const std::string& p) { fs::remove(p); }},
      {"a truncated log data file", true, "v1/2", ".log",
       [](const std::string& p) { fs::resize_file(p, fs::file_size(p) / 2); }},
      {"a flipped byte in an SST", false, "", ".sst",
       [](const std::string& p) { testing::FlipByte(p); }},
      {"a flipped byte in a log data file", true, "v1/2", ".log",
       [](const std::string& p) { testing::FlipByte(p); }},
      {"a flipped byte in a compaction output", true, "v1/compactions", ".sst",
       [](const std::string& p) { testing::FlipByte(p); }},
      {"a flipped byte in a log meta", true, "v1/backupmeta", ".meta",
       [](const std::string& p) { testing::FlipByte(p, fs::file_size(p) - 3); }},
      {"a missing store checkpoint", true, "v1/global_checkpoint", ".ts",
       [](const std::string& p) { fs::remove(p); }},
      {"a meta naming a deleted file", true, "v1/2", ".log",
       [](const std::string& p) { fs::remove(p); }},
  };
  for (size_t i = 0; i < damages.size(); ++i) {
    const Damage& d = damages[i];
    const std::string copy = dir + "/damaged" + std::to_string(i);
    fs::create_directories(copy);
    // The log task still runs: it rewrites checkpoints beside the copy.
    testing::CopyStoredObjects(dir + "/full", copy + "/full");
    testing::CopyStoredObjects(dir + "/log", copy + "/log");
    const std::string root = copy + (d.in_log ? "/log" : "/full");
    std::string victim = first_of(root, d.prefix, d.suffix);
    if (d.suffix == ".ts") {
      // The checkpoint of a store that wrote data: v1/<date>/<hour>/<store>/<file>.log.
      std::string data = first_of(root, "v1/2", ".log");
      std::string store = fs::path(data).parent_path().filename().string();
      victim = "v1/global_checkpoint/" + store + ".ts";
    }
    ASSERT_FALSE(victim.empty()) << d.what;
    d.apply(root + "/" + victim);
    auto r = deep(copy + "/full", copy + "/log");
    ASSERT_TRUE(r.ok()) << d.what << ": " << r.status().ToString();
    bool named = false;
    for (const auto& p : r->problems) named = named || p.file == victim;
    EXPECT_TRUE(named) << d.what << ": " << victim << " not named among " << r->problems.size()
                       << " problem(s)"
                       << (r->problems.empty() ? ""
                                               : ", first " + r->problems.front().file + ": " +
                                                     r->problems.front().what);
    if (i == 0) {
      // The command says the same, exits non-zero, and prints the typed JSON.
      auto cli = RunCommand({std::string(BRIX_BIN_DIR) + "/brix", "validate", "--deep", "-s",
                             "local://" + copy + "/full", "--log-storage",
                             "local://" + copy + "/log", "--output", "json"},
                            {});
      ASSERT_TRUE(cli.ok());
      EXPECT_EQ(cli->exit_code, 1) << cli->output;
      auto j = nlohmann::json::parse(cli->output.substr(cli->output.find('{')), nullptr, false);
      ASSERT_TRUE(j.is_object()) << cli->output;
      EXPECT_EQ(j["result"], "Failed");
      EXPECT_NE(j["problems"].dump().find("\"" + victim + "\""), std::string::npos) << cli->output;
    }
    fs::remove_all(copy);
  }
}

TEST_F(LogBackupTest, PitrIsTheSameWithoutOneAndTwoOverlappingCompactions) {
  const uint64_t seed = Seed();
  const int points = EnvInt("BRIX_COMPACT_POINTS", 10);
  ASSERT_TRUE(StartLogTask(LogTo("compact", Url("log"))).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  StartWorkload(10, seed);
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("compact", Url("log"), end);
  std::mt19937_64 rng(seed);
  const uint64_t lo = std::max(snapshot, OracleStart());
  std::vector<uint64_t> stamps = {end};
  while (static_cast<int>(stamps.size()) < points) stamps.push_back(lo + rng() % (end - lo));
  const uint64_t span = end - snapshot;
  for (uint64_t ts : stamps) ExpectExactPitr(Url("log"), Url("full"), ts);
  // One compaction over the middle of the window.
  LogCompaction c1 = Compact(Url("log"), snapshot + span / 4, snapshot + span * 3 / 4, "c1");
  EXPECT_GT(c1.input_files_size(), 0);
  for (uint64_t ts : stamps) {
    PitrSummary s = ExpectExactPitr(Url("log"), Url("full"), ts);
    if (ts == end) {
      EXPECT_GT(s.compacted_ssts, 0u) << "the compaction was not used";
    }
  }
  // A second one overlapping the first.
  LogCompaction c2 = Compact(Url("log"), snapshot + span / 2, end, "c2");
  EXPECT_GT(c2.input_files_size(), 0);
  for (uint64_t ts : stamps) ExpectExactPitr(Url("log"), Url("full"), ts);
  auto range = LogMetadata(Url("log"));
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->compactions.size(), 2u);
  auto report = ValidateLogLocation(Url("log"), env_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems.front();
  ExpectDeepValidateNamesEveryDamage(dir_.path(), snapshot, end, env_);
}

TEST_F(LogBackupTest, CompactionKilledMidwayIsResumedAndEmptyWindowsChangeNothing) {
  playground::LoadArgs more;
  for (int i = 0; i < 8; ++i) more.tables.push_back("many.t" + std::to_string(i));
  more.rows = 200;
  more.value_size = 32;
  ASSERT_TRUE(StartLogTask(LogTo("killed", Url("log"))).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  ASSERT_TRUE(playground::RunLoad(source_->kv(), more).ok());
  StartWorkload(4, Seed());
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("killed", Url("log"), end);

  // An empty window (before anything was logged) finishes and changes nothing.
  LogCompaction empty = Compact(Url("log"), snapshot - 2000, snapshot - 1000, "empty");
  EXPECT_EQ(empty.input_files_size(), 0);

  // Slow storage (50 ms per call), one table at a time: killed after its first table.
  const std::string brix = std::string(BRIX_BIN_DIR) + "/brix";
  std::vector<std::string> argv = {brix,
                                   "log",
                                   "compact",
                                   "-s",
                                   Url("log"),
                                   "--from",
                                   std::to_string(snapshot),
                                   "--until",
                                   std::to_string(end),
                                   "--concurrency",
                                   "1",
                                   "--name",
                                   "k"};
  // Its scratch folder goes under the test's folder: a killed compaction cannot remove it.
  auto child = ChildProcess::Start(
      argv, {{"BRIX_STORAGE_FAULTS", "rate=0,latency-ms=50"}, {"TMPDIR", dir_.path()}},
      dir_.path() + "/compact.log");
  ASSERT_TRUE(child.ok());
  auto cmetas = [&] {
    int n = 0;
    std::error_code ec;
    for (const auto& d :
         std::filesystem::directory_iterator(dir_.path() + "/log/v1/compactions", ec)) {
      std::error_code ec2;
      for (const auto& m : std::filesystem::directory_iterator(d.path() / "metas", ec2)) {
        (void)m;
        ++n;
      }
    }
    return n;
  };
  // Generous: every storage call takes 50 ms and the location check lists the whole log first.
  ASSERT_TRUE(brix::PollUntil([&] { return cmetas() >= 1; }, std::chrono::seconds(240)));
  child->Kill();
  auto before = LogMetadata(Url("log"));
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->compactions.size(), 1u) << "only the empty one is finished";
  auto rerun = RunCommand(argv, {});
  ASSERT_TRUE(rerun.ok());
  ASSERT_EQ(rerun->exit_code, 0) << rerun->output;
  EXPECT_NE(rerun->output.find("\"status\":\"finished\""), std::string::npos) << rerun->output;
  EXPECT_NE(rerun->output.find("[READ_META("), std::string::npos);
  auto report = ValidateLogLocation(Url("log"), env_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problems.front();
  PitrSummary s = ExpectExactPitr(Url("log"), Url("full"), end);
  EXPECT_GT(s.compacted_ssts, 0u);
  // Truncating past the whole window removes the compactions made of it.
  auto sum = TruncateLog(Url("log"), end);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_GE(sum->compactions_removed, 1u);
}

}  // namespace
}  // namespace brix::br
