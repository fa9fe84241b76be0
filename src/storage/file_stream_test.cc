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

TEST(FileSourceTest, AFileKnowsItsSizeAndRewindsToReadItsBytesAgain) {
  testing::TempDir dir;
  std::string path = dir.path() + "/data";
  std::string bytes(3 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);
  std::ofstream(path, std::ios::binary) << bytes;
  auto source = FileSource::Open(path);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ((*source)->Size(), bytes.size());
  for (int pass = 0; pass < 2; ++pass) {
    std::string got(bytes.size() + 1, '\0');
    size_t filled = 0;
    while (true) {
      auto n = (*source)->Read(got.data() + filled, 1 << 16);
      ASSERT_TRUE(n.ok());
      if (*n == 0) break;
      filled += *n;
    }
    got.resize(filled);
    EXPECT_EQ(got, bytes) << "pass " << pass;
    ASSERT_TRUE((*source)->Rewind().ok());
  }
}

TEST(FileSourceTest, StandardInputHasNoSizeAndCannotRewind) {
  auto source = FileSource::Open("-");
  ASSERT_TRUE(source.ok());
  EXPECT_FALSE((*source)->Size().has_value());
  EXPECT_EQ((*source)->Rewind().code(), Status::Code::kNotSupported);
}

}  // namespace
}  // namespace brix::storage
