// ScratchDir: removed at scope end; a killed process's folder is removed by the next process
// that makes one of the same purpose, and nothing of a live process or another namespace is.
#include "common/scratch_dir.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace brix {
namespace {

namespace fs = std::filesystem;

// TMPDIR set to a fresh folder for the test's duration.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "scratch-dir-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    tmp_ = pattern;
    const char* old = std::getenv("TMPDIR");
    if (old) old_ = old;
    ::setenv("TMPDIR", tmp_.c_str(), 1);
  }
  void TearDown() override {
    fs::remove_all(tmp_);
    if (old_.empty()) {
      ::unsetenv("TMPDIR");
    } else {
      ::setenv("TMPDIR", old_.c_str(), 1);
    }
  }
  // A folder (with a file in it) named `name` in the temp folder.
  fs::path Make(const std::string& name) {
    fs::path p = fs::path(tmp_) / name;
    fs::create_directories(p);
    std::ofstream(p / "run-0") << "spilled";
    return p;
  }

  std::string tmp_;
  std::string old_;
};

pid_t DeadPid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST_F(ScratchDirTest, IsRemovedWithItsFilesAtScopeEnd) {
  std::string path;
  {
    ScratchDir s("compact");
    path = s.path();
    ASSERT_TRUE(fs::is_directory(path));
    EXPECT_EQ(fs::path(path).parent_path(), fs::path(tmp_));
    std::ofstream(fs::path(path) / "f") << "x";
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(ScratchDirTest, RemovesTheFoldersOfDeadProcessesOfItsPurposeAndNamespaceOnly) {
  // brix-compact-<ns>-<pid>-<uuid>: the prefix up to the pid, from a folder made now.
  std::string prefix;
  {
    ScratchDir probe("compact");
    std::string name = fs::path(probe.path()).filename().string();
    prefix = name.substr(0, name.find("-" + std::to_string(::getpid()) + "-") + 1);
  }
  ASSERT_EQ(prefix.rfind("brix-compact-", 0), 0u) << prefix;
  const std::string dead = std::to_string(DeadPid());
  fs::path killed = Make(prefix + dead + "-a");
  fs::path live = Make(prefix + std::to_string(::getppid()) + "-b");  // a live process
  fs::path other_ns = Make("brix-compact-7-" + dead + "-c");          // another namespace
  fs::path other_purpose = Make("brix-validate" + prefix.substr(12) + dead + "-d");
  fs::path unparsable = Make(prefix + "x" + dead + "-e");

  ScratchDir s("compact");
  EXPECT_FALSE(fs::exists(killed)) << "the dead process's folder stayed";
  for (const fs::path& kept : {live, other_ns, other_purpose, unparsable}) {
    EXPECT_TRUE(fs::exists(kept / "run-0")) << kept;
  }
  EXPECT_TRUE(fs::is_directory(s.path()));
  EXPECT_EQ(ScratchDir::RemoveLeftovers("validate"), 1);  // the dead one of that purpose
  EXPECT_FALSE(fs::exists(other_purpose));
}

}  // namespace
}  // namespace brix
