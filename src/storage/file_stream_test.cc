#include "storage/file_stream.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/temp_dir.h"

namespace brix::storage {
namespace {

namespace fs = std::filesystem;

TEST(FileSinkTest, TheFileAppearsOnlyAtFinishAndHoldsEveryWrite) {
  testing::TempDir dir;
  std::string path = dir.path() + "/sub/copy";
  auto sink = FileSink::Create(path);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write("hello ").ok());
  ASSERT_TRUE((*sink)->Write("world").ok());
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_EQ(testing::FileContents(path), "hello world");
}

TEST(FileSinkTest, AnUnfinishedSinkLeavesTheOldFileAndNoTempFile) {
  testing::TempDir dir;
  std::string path = dir.path() + "/copy";
  std::ofstream(path) << "old";
  {
    auto sink = FileSink::Create(path);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write("partial").ok());
  }  // destroyed without Finish(): a failed download
  EXPECT_EQ(testing::FileContents(path), "old");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(MappedFileTest, TheViewIsTheWholeFile) {
  testing::TempDir dir;
  std::string path = dir.path() + "/data";
  std::string bytes(3 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);
  std::ofstream(path, std::ios::binary) << bytes;
  auto mapped = MappedFile::Open(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ((*mapped)->view(), bytes);
}

TEST(MappedFileTest, AnEmptyFileIsAnEmptyViewAndAMissingOneIsNotFound) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/empty").close();
  auto empty = MappedFile::Open(dir.path() + "/empty");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE((*empty)->view().empty());
  EXPECT_TRUE(MappedFile::Open(dir.path() + "/missing").status().IsNotFound());
}

}  // namespace
}  // namespace brix::storage
