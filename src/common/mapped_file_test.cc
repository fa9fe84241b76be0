// MappedFile's contract: the view holds exactly the file's first `size` bytes, an empty file is
// an empty view, and a moved-from view is empty.
#include "common/mapped_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/durable_file.h"

namespace brix {
namespace {

class MappedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "brix-mapped-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  int OpenWith(const std::string& bytes) {
    std::string path = dir_ + "/f";
    EXPECT_TRUE(WriteFileDurably(path, bytes).ok());
    return ::open(path.c_str(), O_RDONLY);
  }
  std::string dir_;
};

TEST_F(MappedFileTest, ViewHoldsTheFileBytesAndOutlivesTheDescriptor) {
  std::string data(3 * 4096 + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 7);
  int fd = OpenWith(data);
  ASSERT_GE(fd, 0);
  Result<MappedFile> m = MappedFile::Map(fd, data.size());
  ::close(fd);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->bytes(), data);
  MappedFile moved = std::move(*m);
  EXPECT_TRUE(m->bytes().empty());
  EXPECT_EQ(moved.bytes(), data);
}

TEST_F(MappedFileTest, PrefixOfAFileAndEmptyFile) {
  int fd = OpenWith("hello, mapped world");
  ASSERT_GE(fd, 0);
  Result<MappedFile> prefix = MappedFile::Map(fd, 5);
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->bytes(), "hello");
  Result<MappedFile> empty = MappedFile::Map(fd, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->bytes().empty());
  ::close(fd);
}

// RssFile of this process in KiB, from /proc/self/status.
long RssFileKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::atol(line.c_str() + 8);
  }
  return -1;
}

TEST_F(MappedFileTest, ReleasedPagesLeaveTheResidentSetAndReadBackTheSame) {
  constexpr size_t kSize = 32 << 20;
  std::string data(kSize, '\0');
  for (size_t i = 0; i < data.size(); i += 64) data[i] = static_cast<char>(i / 64 * 37 + 1);
  int fd = OpenWith(data);
  ASSERT_GE(fd, 0);
  Result<MappedFile> m = MappedFile::Map(fd, data.size());
  ::close(fd);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const long before = RssFileKib();
  ASSERT_GE(before, 0);
  EXPECT_EQ(m->bytes(), data);  // touches every page
  const long read = RssFileKib();
  EXPECT_GE(read - before, 30 << 10) << "reading the view did not make it resident";
  m->ReleaseBefore(kSize / 2 + 100);  // half, rounded down to a page
  const long half = RssFileKib();
  EXPECT_LE(half, read - (15 << 10));
  EXPECT_GE(half, read - (17 << 10));
  m->ReleaseBefore(kSize / 4);  // already released: nothing changes
  m->ReleaseBefore(kSize);
  EXPECT_LE(RssFileKib(), before + (1 << 10));
  EXPECT_EQ(m->bytes(), data);  // the view still reads the file

  *m = MappedFile();  // unmapped: nothing of the file is resident now
}

TEST_F(MappedFileTest, BadDescriptorIsAnError) { EXPECT_FALSE(MappedFile::Map(-1, 10).ok()); }

}  // namespace
}  // namespace brix
