// Log-backup object names (log_files.h): where data, metas and truncation bounds live; and
// LogFileReader: the entries of data files in place, checked against their meta, in buffers kept
// from file to file.
#include "br/log/log_files.h"

#include <gtest/gtest.h>

#include <tuple>

#include "common/crypto.h"
#include "common/tso.h"
#include "storage/open_storage.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

// The TSO of a UTC unix time in seconds.
uint64_t Tso(uint64_t unix_seconds) { return ComposeTs(unix_seconds * 1000, 0); }

TEST(LogDataName, FilesByTheUtcHourOfTheFlushTs) {
  // 2023-03-08 02:48:00 UTC
  EXPECT_EQ(LogDataName(4, Tso(1678243680), "u1"),
            "v1/20230308/02/4/" + std::to_string(Tso(1678243680)) + "-u1.log");
  // The last second of an hour and the first of the next land in different folders.
  EXPECT_TRUE(LogDataName(1, Tso(1678244399), "x").starts_with("v1/20230308/02/"));
  EXPECT_TRUE(LogDataName(1, Tso(1678244400), "x").starts_with("v1/20230308/03/"));
  // Midnight rolls the date.
  EXPECT_TRUE(LogDataName(1, Tso(1678319999), "x").starts_with("v1/20230308/23/"));
  EXPECT_TRUE(LogDataName(1, Tso(1678320000), "x").starts_with("v1/20230309/00/"));
  // ts 0 is the epoch.
  EXPECT_EQ(LogDataName(0, 0, "z"), "v1/19700101/00/0/0-z.log");
}

TEST(LogMetaName, IsUnderTheMetaPrefixFlushFirst) {
  EXPECT_EQ(LogMetaName(4, 123, "u1"), "v1/backupmeta/123-4-u1.meta");
  EXPECT_TRUE(LogMetaName(1, 1, "a").starts_with(kLogMetaPrefix));
}

TEST(TruncationBoundName, IsZeroPaddedSoNamesSortLikeBounds) {
  EXPECT_EQ(TruncationBoundName(0), "v1/truncated/00000000000000000000");
  EXPECT_EQ(TruncationBoundName(42), "v1/truncated/00000000000000000042");
  EXPECT_EQ(TruncationBoundName(UINT64_MAX), "v1/truncated/18446744073709551615");
  EXPECT_LT(TruncationBoundName(9), TruncationBoundName(10));
  EXPECT_LT(TruncationBoundName(99999), TruncationBoundName(100000));
}

TEST(ParseTruncationBoundName, RoundTripsAndRefusesAnythingElse) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{443'000'000'000'000'000}, UINT64_MAX}) {
    EXPECT_EQ(ParseTruncationBoundName(TruncationBoundName(v)), v);
  }
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/7"), 7u);  // padding is not required
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/12x"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/-1"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/truncated/18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("v1/task"), std::nullopt);
  EXPECT_EQ(ParseTruncationBoundName("00000000000000000001"), std::nullopt);
}

using Entry = std::tuple<std::string, uint64_t, bool, std::string>;

// Writes a data file of `n` entries as log backup does; returns its meta and its entries.
std::pair<LogFile, std::vector<Entry>> WriteDataFile(storage::ExternalStorage& storage,
                                                     const std::string& name, int n) {
  LogBatch batch;
  std::vector<Entry> want;
  for (int i = 0; i < n; ++i) {
    LogEntry* e = batch.add_entries();
    e->set_key("t" + std::to_string(i % 7) + "_r" + std::to_string(i));
    e->set_ts(1000 + static_cast<uint64_t>(i));
    e->set_is_delete(i % 5 == 0);
    if (i % 5 != 0) e->set_value(std::string(static_cast<size_t>(i % 300), 'a' + i % 26));
    want.emplace_back(e->key(), e->ts(), e->is_delete(), e->value());
  }
  size_t raw = 0;
  auto stored = EncodeLogBatch(batch, &raw);
  EXPECT_TRUE(stored.ok());
  EXPECT_TRUE(storage.Put(name, *stored).ok());
  LogFile f;
  f.set_name(name);
  f.set_sha256(Sha256(*stored));
  f.set_size(stored->size());
  f.set_raw_size(raw);
  return {f, want};
}

class LogFileReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::OpenStorage("local://" + dir_.path() + "/log");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }
  std::vector<Entry> ReadAll(LogFileReader& reader, const LogFile& f, Status* status) {
    std::vector<Entry> got;
    *status = reader.Read(*storage_, f, [&](const LogEntryView& e) {
      got.emplace_back(std::string(e.key), e.ts, e.is_delete, std::string(e.value));
      return Status::OK();
    });
    return got;
  }
  testing::TempDir dir_;
  std::unique_ptr<storage::ExternalStorage> storage_;
};

TEST_F(LogFileReaderTest, ReadsEveryEntryInFileOrderAndKeepsItsBuffersFromFileToFile) {
  auto [big, big_want] = WriteDataFile(*storage_, "v1/a.log", 5000);
  auto [small, small_want] = WriteDataFile(*storage_, "v1/b.log", 10);
  LogFileReader reader;
  Status s;
  EXPECT_EQ(ReadAll(reader, big, &s), big_want);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const size_t after_big = reader.capacity();
  EXPECT_GE(after_big, big.size() + big.raw_size());
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(ReadAll(reader, small, &s), small_want);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(ReadAll(reader, big, &s), big_want);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(reader.capacity(), after_big) << "a buffer was allocated again";
}

TEST_F(LogFileReaderTest, RefusesAFileWhoseHashOrBytesDoNotMatchNamingIt) {
  auto [f, want] = WriteDataFile(*storage_, "v1/a.log", 100);
  LogFileReader reader;
  Status s;
  LogFile other = f;
  other.set_sha256(Sha256("something else"));
  EXPECT_TRUE(ReadAll(reader, other, &s).empty());
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("v1/a.log"), std::string::npos) << s.ToString();
  // A file that hashes right but does not decode.
  ASSERT_TRUE(storage_->Put("v1/junk.log", "not zstd at all").ok());
  LogFile junk = f;
  junk.set_name("v1/junk.log");
  junk.set_sha256(Sha256("not zstd at all"));
  ReadAll(reader, junk, &s);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  size_t raw = 0;
  auto encoded = EncodeLogBatch(LogBatch{}, &raw);  // a valid empty batch reads as no entries
  ASSERT_TRUE(encoded.ok());
  ASSERT_TRUE(storage_->Put("v1/empty.log", *encoded).ok());
  LogFile empty = f;
  empty.set_name("v1/empty.log");
  empty.set_sha256(Sha256(*encoded));
  EXPECT_TRUE(ReadAll(reader, empty, &s).empty());
  EXPECT_TRUE(s.ok()) << s.ToString();
  // The reader still reads a good file after refusing bad ones.
  EXPECT_EQ(ReadAll(reader, f, &s), want);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace brix::br
