// The durable-write helper's contract: atomic replacement, nothing left behind on failure,
// the requested mode even for secrets.
#include "common/durable_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace brix {
namespace {

namespace fs = std::filesystem;

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "brix-durable-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Read(const std::string& path) {
    auto r = ReadWholeFile(path);
    return r.ok() ? *r : std::string();
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }
  mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 0777;
  }

  std::string dir_;
};

TEST_F(DurableFileTest, AppendFileCopiesTheFirstBytesOfAnotherFileAndRefusesOneThatIsShorter) {
  std::string data(3 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 % 253);
  std::string source = dir_ + "/source";
  std::ofstream(source, std::ios::binary) << data;
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  {
    auto file = DurableFile::Create(dir_ + "/copy");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(file->Append("head:").ok());
    ASSERT_TRUE(file->AppendFile(fd, data.size() - 5).ok());
    ASSERT_TRUE(file->Commit().ok());
  }
  EXPECT_EQ(Read(dir_ + "/copy"), "head:" + data.substr(0, data.size() - 5));
  {
    auto file = DurableFile::Create(dir_ + "/short");
    ASSERT_TRUE(file.ok());
    Status s = file->AppendFile(fd, data.size() + 1);
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
    EXPECT_FALSE(file->Commit().ok());
  }
  ::close(fd);
  EXPECT_FALSE(fs::exists(dir_ + "/short"));
}

TEST_F(DurableFileTest, LinkFileMakesTheTargetThatVeryFileWithTheRequestedModeAndNoTempBehind) {
  std::string source = dir_ + "/scratch.sst";
  std::ofstream(source, std::ios::binary) << "finished sst";
  ::chmod(source.c_str(), 0600);
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto file = DurableFile::Create(dir_ + "/objects/a.sst", {.mode = 0644});
  ASSERT_TRUE(file.ok());
  auto linked = file->LinkFile(fd, 12);
  ASSERT_TRUE(linked.ok()) << linked.status().ToString();
  ASSERT_TRUE(*linked) << "the same filesystem links";
  EXPECT_EQ(file->Append("more").code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(file->Commit().ok());
  ::close(fd);
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(source.c_str(), &a), 0);
  ASSERT_EQ(::stat((dir_ + "/objects/a.sst").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino) << "copied, not linked";
  EXPECT_EQ(Mode(dir_ + "/objects/a.sst"), 0644u);
  ASSERT_TRUE(fs::remove(source));  // the caller removes its name; the object stays
  EXPECT_EQ(Read(dir_ + "/objects/a.sst"), "finished sst");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ + "/objects"), fs::directory_iterator{}), 1);
}

TEST_F(DurableFileTest, LinkFileRefusesAChangedFileAndFallsBackWhenTheKernelCannotLink) {
  std::string source = dir_ + "/scratch";
  std::ofstream(source, std::ios::binary) << "twelve bytes";
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  {
    auto file = DurableFile::Create(dir_ + "/changed");
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(file->LinkFile(fd, 13).status().code(), Status::Code::kFailedPrecondition);
  }
  EXPECT_FALSE(fs::exists(dir_ + "/changed"));
  // A file already removed cannot be linked (ENOENT): false, and the append path still works.
  ASSERT_TRUE(fs::remove(source));
  auto file = DurableFile::Create(dir_ + "/copied");
  ASSERT_TRUE(file.ok());
  auto linked = file->LinkFile(fd, 12);
  ASSERT_TRUE(linked.ok()) << linked.status().ToString();
  EXPECT_FALSE(*linked);
  ASSERT_TRUE(file->AppendFile(fd, 12).ok());
  ASSERT_TRUE(file->Commit().ok());
  ::close(fd);
  EXPECT_EQ(Read(dir_ + "/copied"), "twelve bytes");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(DurableFileTest, ScanFileBytesGivesTheRangeInPiecesInOrderAndRefusesAShorterSource) {
  // Two and a half pieces from an offset: the pieces are at most kScanPieceBytes, in order, and
  // together exactly the range asked for.
  std::string bytes(kScanPieceBytes * 3, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 251);
  const std::string path = dir_ + "/source";
  std::ofstream(path, std::ios::binary) << bytes;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_GE(fd.get(), 0);
  const uint64_t offset = 1000, length = kScanPieceBytes * 2 + kScanPieceBytes / 2;
  std::string seen;
  size_t pieces = 0;
  ASSERT_TRUE(ScanFileBytes(fd.get(), offset, length, "source", [&](std::string_view piece) {
                EXPECT_LE(piece.size(), kScanPieceBytes);
                seen.append(piece);
                ++pieces;
                return Status::OK();
              }).ok());
  EXPECT_EQ(seen, bytes.substr(offset, length));
  EXPECT_EQ(pieces, 3u);
  // The callback's error stops the scan and is returned.
  pieces = 0;
  Status stopped = ScanFileBytes(fd.get(), 0, length, "source", [&](std::string_view) {
    ++pieces;
    return Status::IOError("disk full");
  });
  EXPECT_EQ(stopped.code(), Status::Code::kIOError);
  EXPECT_EQ(pieces, 1u);
  // A source that ends early (it shrank) fails, naming how far it got.
  Status shorter = ScanFileBytes(fd.get(), bytes.size() - 10, 11, "source",
                                 [](std::string_view) { return Status::OK(); });
  EXPECT_EQ(shorter.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(shorter.ToString().find("after 10 of 11 bytes"), std::string::npos)
      << shorter.ToString();
}

TEST_F(DurableFileTest, ReplacesTheContentAndLeavesNoTempFileBehind) {
  std::string path = dir_ + "/store_id";
  ASSERT_TRUE(WriteFileDurably(path, "old\n").ok());
  ASSERT_TRUE(WriteFileDurably(path, "new\n").ok());
  EXPECT_EQ(Read(path), "new\n");
  EXPECT_EQ(Names(), std::vector<std::string>{"store_id"});
}

TEST_F(DurableFileTest, CreatesMissingFolders) {
  std::string path = dir_ + "/a/b/state.json";
  ASSERT_TRUE(WriteFileDurably(path, "{}").ok());
  EXPECT_EQ(Read(path), "{}");
}

TEST_F(DurableFileTest, SecretsGetExactlyTheRequestedModeWhateverTheUmaskOrTheOldFile) {
  std::string path = dir_ + "/token";
  ASSERT_TRUE(WriteFileDurably(path, "public", 0644).ok());
  mode_t old_umask = ::umask(0);
  Status s = WriteFileDurably(path, "secret", 0600);
  ::umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Read(path), "secret");
}

TEST_F(DurableFileTest, AFailedWriteLeavesTheOldFileIntactAndNoTempFile) {
  std::string path = dir_ + "/kubeconfig";
  ASSERT_TRUE(WriteFileDurably(path, "old").ok());
  // A real write failure: the process may not write files larger than 4 KiB (EFBIG).
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status s = WriteFileDurably(path, std::string(1 << 20, 'x'));
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(dir_), std::string::npos) << s.ToString();  // names the path
  EXPECT_EQ(Read(path), "old");
  EXPECT_EQ(Names(), std::vector<std::string>{"kubeconfig"});
}

TEST_F(DurableFileTest, AnUncommittedFileLeavesNothingAndIfAbsentRefusesToReplace) {
  std::string path = dir_ + "/obj";
  {
    auto f = DurableFile::Create(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->Append("partial").ok());
  }
  EXPECT_TRUE(Names().empty());
  ASSERT_TRUE(WriteFileDurably(path, "first").ok());
  auto f = DurableFile::Create(path, {.if_absent = true});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->Append("second").ok());
  EXPECT_TRUE(f->Commit().IsAlreadyExists());
  EXPECT_EQ(Read(path), "first");
  EXPECT_EQ(Names(), std::vector<std::string>{"obj"});
}

}  // namespace
}  // namespace brix
