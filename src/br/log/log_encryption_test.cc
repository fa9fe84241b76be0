// Client-side encryption end to end (storage/encrypted_storage.h): log backup, snapshot backup,
// compaction, truncation and PITR on encrypted locations equal the oracle; no stored byte holds
// a value the workload wrote; a wrong key is refused before the target is written; after a
// rotation the new key restores and the old one is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "br/log/log_test_fixture.h"
#include "br/log/truncate.h"
#include "br/log/validate_log.h"
#include "common/encoding.h"
#include "common/net_util.h"
#include "storage/encryption_keys.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

const std::string kKeyA(64, '1');
const std::string kKeyB(64, '2');

EnvLookup WithKey(const std::string& hex) {
  EnvLookup process = ProcessEnv();
  return [hex, process](const std::string& name) -> std::optional<std::string> {
    if (name == storage::kEncryptionKeyEnv) return hex;
    return process(name);
  };
}

// Up to `n` values the workload wrote (from its oracle), each at least 16 bytes.
std::vector<std::string> WrittenValues(const std::string& oracle, size_t n) {
  std::vector<std::string> values;
  std::ifstream in(oracle);
  for (std::string line; std::getline(in, line) && values.size() < n;) {
    std::istringstream fields(line);
    std::string tag, ts, table, key, value;
    fields >> tag >> ts >> table >> key >> value;
    auto raw = HexDecode(value);
    if (tag == "P" && raw && raw->size() >= 16) values.push_back(*raw);
  }
  return values;
}

// Every file below `dir` that holds one of `values` (as stored bytes).
std::vector<std::string> FilesHolding(const std::string& dir,
                                      const std::vector<std::string>& values) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& v : values) {
      if (data.find(v) != std::string::npos) {
        found.push_back(e.path().string());
        break;
      }
    }
  }
  return found;
}

TEST_F(LogBackupTest, EncryptedPitrAfterACompactionAndATruncationIsExactAndStoresNoPlaintext) {
  const uint64_t seed = Seed();
  env_ = WithKey(kKeyA);
  ASSERT_TRUE(StartLogTask(LogTo("enc", Url("log"))).ok());
  StartWorkload(6, seed);
  // Log files with writes before the snapshot, for the truncation below to remove.
  auto log = storage::OpenStorage(Url("log"), env_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_TRUE(PollUntil(
      [&] {
        auto metas = (*log)->List(kLogMetaPrefix, "", 1);
        return metas.ok() && !metas->objects.empty();
      },
      std::chrono::seconds(60)))
      << "no log meta was written";
  uint64_t snapshot = FullBackup(Url("full"));
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("enc", Url("log"), end);
  const uint64_t lo = std::max(snapshot, OracleStart());
  LogCompaction c = Compact(Url("log"), snapshot + (end - snapshot) / 4, end, "c");
  EXPECT_GT(c.input_files_size(), 0);
  // Truncation reads and rewrites encrypted metas and writes its bound encrypted.
  auto truncated = TruncateLog(Url("log"), snapshot, env_);
  ASSERT_TRUE(truncated.ok()) << truncated.status().ToString();
  EXPECT_GT(truncated->files_removed, 0u);
  auto range = LogMetadata(Url("log"), env_);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(range->min_ts, snapshot);
  std::mt19937_64 rng(seed);
  for (uint64_t ts : std::vector<uint64_t>{end, lo + rng() % (end - lo), lo + rng() % (end - lo)}) {
    ExpectExactPitr(Url("log"), Url("full"), ts);
  }
  auto report = ValidateLogLocation(Url("log"), env_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems.front();

  // Every stored file: SSTs, log data files, compaction outputs, metas, locks, checkpoints.
  auto values = WrittenValues(oracle_, 300);
  ASSERT_GE(values.size(), 100u);
  for (const char* loc : {"log", "full"}) {
    EXPECT_EQ(FilesHolding(dir_.path() + "/" + loc, values), std::vector<std::string>{}) << loc;
  }
  // The search can fail: it finds the values in the files of a backup written without the key.
  env_ = ProcessEnv();
  FullBackup(Url("plain"));
  EXPECT_FALSE(FilesHolding(dir_.path() + "/plain", values).empty());
  // Without the key, or with a wrong one: refused before the target cluster is written.
  for (const EnvLookup& wrong : {WithKey(kKeyB), ProcessEnv()}) {
    auto target = StartCluster(1, false);
    ASSERT_NE(target, nullptr);
    env_ = wrong;
    auto r = Pitr(*target, Url("log"), Url("full"), end);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().ToString().find("key"), std::string::npos) << r.status().ToString();
    auto filter = *TableFilter::Parse({"app.*"});
    auto got = cluster::ChecksumTables(target->kv(), *target->pd().GetTs(), filter);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->empty()) << "the target was written";
  }
  // Rotation: only the keyrings change; the new key restores, the old one is refused.
  for (const char* loc : {"log", "full"}) {
    auto raw = storage::OpenStorage(Url(loc), storage::WithoutEncryption(ProcessEnv()));
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(storage::RotateKeyring(**raw, *HexDecode(kKeyA), *HexDecode(kKeyB)).ok());
  }
  env_ = WithKey(kKeyB);
  ExpectExactPitr(Url("log"), Url("full"), end);
  EXPECT_FALSE(LogMetadata(Url("log"), WithKey(kKeyA)).ok());
}

}  // namespace
}  // namespace brix::br
