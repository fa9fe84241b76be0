// Log metadata integrity against a real cluster: a flipped byte in any metadata object of a log
// location (log meta, compaction meta, global checkpoint, v1/task) is refused by PITR, naming the
// object, before anything is written to the target.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "br/log/log_test_fixture.h"
#include "testing/damage.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

// The LogMeta inside a stored meta object, whatever framing surrounds it.
std::optional<std::pair<size_t, LogMeta>> FindLogMeta(const std::string& data) {
  for (size_t k = 0; k < std::min<size_t>(data.size(), 256); ++k) {
    LogMeta m;
    if (!m.ParseFromString(data.substr(k)) || m.flush_ts() == 0 || m.files_size() == 0) continue;
    bool sane = true;
    for (const auto& f : m.files()) sane = sane && f.name().starts_with("v1/");
    if (sane) return std::make_pair(k, m);
  }
  return std::nullopt;
}

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

TEST_F(LogBackupTest, FlippedByteInLogMetadataIsRefusedByPitrNamingItAndNothingIsWritten) {
  ASSERT_TRUE(StartLogTask(LogTo("flip", Url("log"))).ok());
  uint64_t snapshot = FullBackup(Url("full"));
  StartWorkload(4, Seed());
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("flip", Url("log"), end);
  // The task's nodes keep flushing into "log" (a checkpoint rewritten over a flipped byte, a
  // temp file listed then renamed): the damage goes into a copy no node writes.
  testing::CopyStoredObjects(dir_.path() + "/log", dir_.path() + "/still");
  auto target = StartCluster(1, false);
  ASSERT_NE(target, nullptr);
  auto filter = *TableFilter::Parse({"app.*"});
  // PITR to `end` is refused as Corruption naming `object`, and the target stays empty.
  auto expect_refused = [&](const std::string& object) {
    SCOPED_TRACE(object);
    auto r = Pitr(*target, Url("still"), Url("full"), end);
    if (r.ok()) {
      auto got = cluster::ChecksumTables(target->kv(), *target->pd().GetTs(), filter);
      auto want = cluster::ChecksumTables(source_->kv(), end, filter);
      ASSERT_TRUE(got.ok() && want.ok());
      EXPECT_EQ(cluster::FormatChecksums(*got), cluster::FormatChecksums(*want))
          << "PITR with a damaged " << object << " succeeded, holding other data than the source";
      FAIL() << "PITR accepted the damaged " << object;
    }
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << r.status().ToString();
    EXPECT_NE(r.status().message().find(object), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status().ToString();
    auto tables = cluster::ListTables(target->kv(), *target->pd().GetTs());
    ASSERT_TRUE(tables.ok());
    EXPECT_TRUE(tables->empty()) << "a refused PITR wrote to the target";
  };

  // A log meta: raise one file's min_ts by a flipped bit (the newest file of table rows after
  // the snapshot, whose versions are the latest of their keys). Parsed blindly, PITR would
  // think the file starts after the restore point and skip it.
  const std::string log_dir = dir_.path() + "/still/";
  std::string victim;
  size_t offset = 0;
  uint64_t newest = 0;
  for (const auto& e : fs::directory_iterator(log_dir + kLogMetaPrefix)) {
    std::string data = testing::FileContents(e.path().string());
    auto found = FindLogMeta(data);
    ASSERT_TRUE(found.has_value()) << e.path();
    for (const auto& f : found->second.files()) {
      if (f.has_catalog() || f.min_ts() <= snapshot || f.max_ts() <= newest) continue;
      size_t name_at = data.find(f.name());
      size_t ts_at = data.find(char(0x28) + Varint(f.min_ts()), name_at);
      ASSERT_NE(ts_at, std::string::npos);
      newest = f.max_ts();
      victim = std::string(kLogMetaPrefix) + e.path().filename().string();
      offset = ts_at + Varint(f.min_ts()).size();  // the varint's last byte: bits 56..62
    }
  }
  ASSERT_FALSE(victim.empty()) << "no log file after the snapshot";
  testing::FlipByte(log_dir + victim, offset, 0x40);
  expect_refused(victim);
  if (HasFatalFailure()) return;
  testing::FlipByte(log_dir + victim, offset, 0x40);

  // A compaction meta, the global checkpoint and the location (v1/task).
  Compact(Url("still"), snapshot, end, "c");
  std::vector<std::string> victims = {kLogLocationName};
  for (const auto& e : fs::recursive_directory_iterator(log_dir + kCompactionPrefix)) {
    if (e.path().filename() == "compaction.meta") {
      victims.push_back(fs::relative(e.path(), log_dir).string());
    }
  }
  for (const auto& e : fs::directory_iterator(log_dir + kGlobalCheckpointPrefix)) {
    victims.push_back(std::string(kGlobalCheckpointPrefix) + e.path().filename().string());
  }
  ASSERT_GE(victims.size(), 3u);
  for (const auto& v : victims) {
    size_t size = fs::file_size(log_dir + v);
    testing::FlipByte(log_dir + v,
                      size - 1);  // the last byte: in the payload, whatever the framing
    expect_refused(v);
    if (HasFatalFailure()) return;
    testing::FlipByte(log_dir + v, size - 1);
  }
}

}  // namespace
}  // namespace brix::br
