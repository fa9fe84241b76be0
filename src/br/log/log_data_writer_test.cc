// LogDataWriter (log_data_writer.h): a data file streamed entry by entry is the format
// EncodeLogBatch writes, and holds nothing behind.
#include "br/log/log_data_writer.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "br/log/log_files.h"
#include "common/crypto.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

LogBatch SampleBatch(int n, uint64_t seed) {
  std::mt19937_64 rnd(seed);
  auto bytes = [&](size_t len) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rnd());
    return s;
  };
  LogBatch batch;
  for (int i = 0; i < n; ++i) {
    LogEntry* e = batch.add_entries();
    e->set_key("t" + bytes(8) + "_r" + std::to_string(i));
    e->set_ts(1000 + rnd() % 1'000'000);
    e->set_is_delete(i % 7 == 0);
    if (!e->is_delete()) e->set_value(bytes(1 + rnd() % 3000));
  }
  return batch;
}

TEST(LogDataWriter, WritesTheFormatEncodeLogBatchWrites) {
  testing::TempDir dir;
  LogBatch batch = SampleBatch(5000, 7);
  auto writer = LogDataWriter::Create(dir.path());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const auto& e : batch.entries()) ASSERT_TRUE((*writer)->Add(e).ok());
  EXPECT_EQ((*writer)->entries(), 5000u);
  auto encoded = (*writer)->Finish();
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();

  std::string stored = testing::FileContents(encoded->path);
  EXPECT_EQ(encoded->size, stored.size());
  EXPECT_EQ(encoded->sha256, Sha256(stored));
  // The raw size is the serialized batch's, and the frame records it (readers require that).
  EXPECT_EQ(encoded->raw_size, batch.SerializeAsString().size());
  EXPECT_EQ(ZSTD_getFrameContentSize(stored.data(), stored.size()), encoded->raw_size);
  auto decoded = DecodeLogBatch(stored);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->SerializeAsString(), batch.SerializeAsString());
}

// The process's peak resident set (VmHWM) in bytes.
uint64_t PeakRss() {
  std::string status = testing::FileContents("/proc/self/status");
  size_t at = status.find("VmHWM:");
  return at == std::string::npos ? 0 : std::stoull(status.substr(at + 6)) * 1024;
}

TEST(LogDataWriter, HoldsOneEntryNotTheFile) {
  testing::TempDir dir;
  auto writer = LogDataWriter::Create(dir.path());
  ASSERT_TRUE(writer.ok());
  // Reset the peak (Linux: writing 5 to clear_refs), then write 64 MiB raw, a data file's cut.
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
  }
  const uint64_t before = PeakRss();
  ASSERT_GT(before, 0u);
  std::mt19937_64 rnd(11);
  LogEntry e;
  std::string value(1000, '\0');
  // Bounded by entries too, so a raw_size() that does not grow fails instead of filling the disk.
  while ((*writer)->raw_size() < (64u << 20) && (*writer)->entries() < 100'000) {
    for (char& c : value) c = static_cast<char>(rnd());  // incompressible, as the worst case
    e.set_key("t00000001_r" + std::to_string((*writer)->entries()));
    e.set_ts(1 + (*writer)->entries());
    e.set_value(value);
    ASSERT_TRUE((*writer)->Add(e).ok());
  }
  auto encoded = (*writer)->Finish();
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_GE(encoded->raw_size, 64u << 20);
  EXPECT_GT(encoded->size, 60u << 20);  // the values do not compress
  // zstd's window and buffers, not the 64 MiB (the in-memory encoder held about 3x that).
  EXPECT_LT(PeakRss() - before, 16u << 20);
}

TEST(LogDataWriter, AnEmptyFileDecodesToNoEntries) {
  testing::TempDir dir;
  auto writer = LogDataWriter::Create(dir.path());
  ASSERT_TRUE(writer.ok());
  auto encoded = (*writer)->Finish();
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  auto decoded = DecodeLogBatch(testing::FileContents(encoded->path));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->entries_size(), 0);
}

TEST(LogDataWriter, LeavesNoScratchFilesBehind) {
  testing::TempDir dir;
  {
    auto writer = LogDataWriter::Create(dir.path());
    ASSERT_TRUE(writer.ok());
    LogBatch batch = SampleBatch(100, 3);
    for (const auto& e : batch.entries()) ASSERT_TRUE((*writer)->Add(e).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  {
    auto abandoned = LogDataWriter::Create(dir.path());  // a flush that failed half-way
    ASSERT_TRUE(abandoned.ok());
    LogBatch one = SampleBatch(1, 4);
    ASSERT_TRUE((*abandoned)->Add(one.entries(0)).ok());
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(LogDataWriter, AMissingFolderIsAnIoErrorNamingThePath) {
  auto writer = LogDataWriter::Create("/nonexistent-brix-dir");
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), Status::Code::kIOError);
  EXPECT_NE(writer.status().message().find("/nonexistent-brix-dir/"), std::string::npos);
}

}  // namespace
}  // namespace brix::br
