#include "common/sealed_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace brix {
namespace {

const std::string kKey(32, 'k');

class TempPath {
 public:
  TempPath() {
    char tmpl[] = "/tmp/sealed-box-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~TempPath() { std::filesystem::remove_all(dir_); }
  std::string operator/(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

TEST(SealedBox, SealedSecretOpensOnlyUnderTheSameKeyAndOwner) {
  auto blob = SealSecret(kKey, "AZURE_STORAGE_KEY=secret-value", "task-a");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(blob->find("secret-value"), std::string::npos);
  auto opened = OpenSecret(kKey, *blob, "task-a");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "AZURE_STORAGE_KEY=secret-value");
  EXPECT_EQ(OpenSecret(std::string(32, 'x'), *blob, "task-a").status().code(),
            Status::Code::kCorruption);
  EXPECT_EQ(OpenSecret(kKey, *blob, "task-b").status().code(), Status::Code::kCorruption);
  std::string altered = *blob;
  altered[20] ^= 1;
  EXPECT_EQ(OpenSecret(kKey, altered, "task-a").status().code(), Status::Code::kCorruption);
  EXPECT_FALSE(OpenSecret(kKey, "", "task-a").ok());
}

TEST(SealedBox, EachSealUsesAFreshNonce) {
  EXPECT_NE(*SealSecret(kKey, "same", "t"), *SealSecret(kKey, "same", "t"));
}

TEST(SealedBox, KeyMustBe32Bytes) {
  EXPECT_TRUE(SealSecret("short", "x", "t").status().IsInvalidArgument());
}

TEST(CredentialKeyFile, IsCreatedOwnerOnlyAndKeptWhenItExists) {
  TempPath dir;
  std::string path = dir / "credential.key";
  ASSERT_TRUE(EnsureCredentialKeyFile(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto first = LoadCredentialKey(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 32u);
  ASSERT_TRUE(EnsureCredentialKeyFile(path).ok());
  EXPECT_EQ(*LoadCredentialKey(path), *first);
}

TEST(CredentialKeyFile, WideModesAndWrongSizesAreRefused) {
  TempPath dir;
  std::string path = dir / "key";
  std::ofstream(path) << std::string(32, 'r');
  ::chmod(path.c_str(), 0644);
  auto wide = LoadCredentialKey(path);
  EXPECT_TRUE(wide.status().IsInvalidArgument());
  EXPECT_NE(wide.status().message().find("chmod 600"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(*LoadCredentialKey(path), std::string(32, 'r'));
  std::ofstream(path) << "too short";
  EXPECT_TRUE(LoadCredentialKey(path).status().IsInvalidArgument());
  EXPECT_TRUE(LoadCredentialKey(dir / "missing").status().IsInvalidArgument());
}

TEST(PathComponent, RefusesTraversalSeparatorsAndEmptyNames) {
  EXPECT_TRUE(CheckPathComponent("uuid", "3f1c2d4e-0000-4000-8000-000000000000").ok());
  EXPECT_TRUE(CheckPathComponent("task", "log-task_1.a").ok());
  for (const char* bad : {"", ".", "..", "../../etc/x", "a/b", "/abs", "a\\b", "a\nb"}) {
    auto s = CheckPathComponent("uuid", bad);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
    EXPECT_NE(s.message().find("uuid"), std::string::npos);
  }
  EXPECT_TRUE(CheckPathComponent("uuid", std::string(129, 'a')).IsInvalidArgument());
}

}  // namespace
}  // namespace brix
