// The log-backup write buffer (log_buffer.h): memory first, spilled by a background writer past
// its bound, every record back in append order, and a full disk reported rather than hidden.
#include "br/log/log_buffer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/net_util.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

LogEntry NumberedEntry(uint64_t i) {
  LogEntry e;
  e.set_key("t/k" + std::to_string(i));
  e.set_ts(1000 + i);
  e.set_is_delete(i % 7 == 0);
  if (!e.is_delete()) e.set_value(std::string(100, static_cast<char>('a' + i % 26)));
  return e;
}

std::vector<LogEntry> All(const BufferedWrites& writes) {
  std::vector<LogEntry> out;
  Status s = writes.ForEach([&](LogEntry&& e) { out.push_back(std::move(e)); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

void ExpectInOrder(const std::vector<LogEntry>& got, uint64_t from, uint64_t n) {
  ASSERT_EQ(got.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    EXPECT_EQ(got[i].SerializeAsString(), NumberedEntry(from + i).SerializeAsString())
        << "record " << i;
  }
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(LogBuffer, UnderItsBoundKeepsWritesInMemoryAndReturnsThemInOrder) {
  testing::TempDir dir;
  LogBuffer buffer(dir.path(), 1 << 20, "");
  for (uint64_t i = 0; i < 100; ++i) buffer.Append(NumberedEntry(i));
  EXPECT_GT(buffer.memory_bytes(), 0u);
  EXPECT_EQ(FilesIn(dir.path()), 0u) << "nothing spilled under the bound";
  auto rotated = buffer.Rotate();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  ExpectInOrder(All(*rotated), 0, 100);
  EXPECT_EQ(buffer.memory_bytes(), 0u);
  // The next rotation holds only what came after.
  buffer.Append(NumberedEntry(100));
  auto next = buffer.Rotate();
  ASSERT_TRUE(next.ok());
  ExpectInOrder(All(*next), 100, 1);
}

TEST(LogBuffer, PastItsBoundSpillsToDiskAndMemoryStaysWithinTwiceTheBound) {
  testing::TempDir dir;
  const size_t limit = 4 << 10;
  LogBuffer buffer(dir.path(), limit, "");
  // The largest record appended below (keys grow with i; 4999 carries a value): the bound allows
  // one record past twice the limit.
  const size_t record = NumberedEntry(4999).ByteSizeLong() + 4;
  size_t most = 0;
  for (uint64_t i = 0; i < 5000; ++i) {
    buffer.Append(NumberedEntry(i));
    most = std::max(most, buffer.memory_bytes());
  }
  EXPECT_LE(most, 2 * limit + record);
  auto rotated = buffer.Rotate();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(FilesIn(dir.path()), 1u) << "the spill file";
  EXPECT_LE(rotated->memory_bytes(), 2 * limit + record);
  ExpectInOrder(All(*rotated), 0, 5000);
  rotated->Remove();
  EXPECT_EQ(FilesIn(dir.path()), 0u);
}

TEST(LogBuffer, WritesKeptOverAFailedFlushMoveFromMemoryToDisk) {
  testing::TempDir dir;
  LogBuffer buffer(dir.path(), 1 << 20, "");
  for (uint64_t i = 0; i < 10; ++i) buffer.Append(NumberedEntry(i));
  auto rotated = buffer.Rotate();
  ASSERT_TRUE(rotated.ok());
  ASSERT_TRUE(rotated->Spill(dir.path()).ok());
  EXPECT_EQ(rotated->memory_bytes(), 0u);
  EXPECT_EQ(FilesIn(dir.path()), 1u);
  ExpectInOrder(All(*rotated), 0, 10);
}

TEST(LogBuffer, AFullDiskBreaksTheBufferUntilTheNextRotationAndSaysWhy) {
  testing::TempDir dir;
  const std::string fault = dir.path() + "/fault";
  const std::string buffers = dir.path() + "/buffers";
  std::filesystem::create_directories(buffers);
  LogBuffer buffer(buffers, 1 << 20, fault);
  buffer.Append(NumberedEntry(0));
  std::ofstream(fault) << "disk full";
  buffer.Append(NumberedEntry(1));  // lost
  std::filesystem::remove(fault);
  buffer.Append(NumberedEntry(2));  // dropped too: the buffer is broken until rotated
  auto broken = buffer.Rotate();
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().ToString().find("log backup buffer"), std::string::npos)
      << broken.status().ToString();
  buffer.Append(NumberedEntry(3));
  auto next = buffer.Rotate();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ExpectInOrder(All(*next), 3, 1);
}

TEST(LogBuffer, ASpillThatCannotBeWrittenBreaksTheBuffer) {
  testing::TempDir dir;
  LogBuffer buffer(dir.path() + "/missing", 256, "");  // the spill file cannot be created
  for (uint64_t i = 0; i < 20; ++i) buffer.Append(NumberedEntry(i));
  // Until the writer has tried, the records are still in memory (and Rotate would return them).
  ASSERT_TRUE(PollUntil([&] { return buffer.memory_bytes() == 0; }, std::chrono::seconds(10)));
  auto rotated = buffer.Rotate();
  ASSERT_FALSE(rotated.ok());
  EXPECT_NE(rotated.status().ToString().find("open failed"), std::string::npos)
      << rotated.status().ToString();
}

}  // namespace
}  // namespace brix::br
