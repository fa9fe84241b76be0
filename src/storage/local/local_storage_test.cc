#include "storage/local/local_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "common/durable_file.h"
#include "storage/file_stream.h"
#include "storage/open_storage.h"
#include "storage/storage_conformance.h"
#include "testing/temp_dir.h"

namespace brix::storage {
namespace {

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenStorage("local://" + dir_.path() + "/root");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }
  brix::testing::TempDir dir_;
  std::unique_ptr<ExternalStorage> storage_;
};

TEST_F(LocalStorageTest, BasicOperations) { testing::CheckBasicOperations(*storage_, 3 << 20); }
TEST_F(LocalStorageTest, Streaming) { testing::CheckStreaming(*storage_, 5 << 20); }
TEST_F(LocalStorageTest, AFileSourceIsCopiedWholeByTheKernel) {
  std::string data = testing::RandomBytes((2 << 20) + 3, 9);
  std::string path = dir_.path() + "/file";
  ASSERT_TRUE(WriteFileDurably(path, data).ok());
  auto source = FileSource::Open(path);
  ASSERT_TRUE(source.ok());
  ASSERT_GE((*source)->NativeFile(), 0);
  ASSERT_TRUE(storage_->PutStream("copied", **source).ok());
  EXPECT_EQ(*storage_->Get("copied"), data);
  // A user's file stays theirs: a change to it after the upload never changes the object.
  ASSERT_TRUE(WriteFileDurably(path, "changed").ok());
  EXPECT_EQ(*storage_->Get("copied"), data);
}
TEST_F(LocalStorageTest, AHandedOverFileBecomesTheObjectItselfWithoutACopy) {
  std::string data = testing::RandomBytes((2 << 20) + 3, 10);
  std::string path = dir_.path() + "/scratch.sst";
  ASSERT_TRUE(WriteFileDurably(path, data).ok());
  auto source = FileSource::OpenHandedOver(path);
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE((*source)->NativeFileHandedOver());
  ASSERT_TRUE(storage_->PutStream("d/linked", **source).ok());
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(path.c_str(), &a), 0);
  ASSERT_EQ(::stat((dir_.path() + "/root/d/linked").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino) << "copied, not linked";
  source->reset();
  ASSERT_TRUE(std::filesystem::remove(path));  // what the node does once it is uploaded
  EXPECT_EQ(*storage_->Get("d/linked"), data);
  auto all = storage_->ListAll("d/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].size, data.size());
}
// More than one page of DeletePrefix's listing (5,000 names a page).
TEST_F(LocalStorageTest, ListingWithPaging) { testing::CheckListing(*storage_, 5200, 1000); }

TEST_F(LocalStorageTest, TempFilesAreNeverListedOrLeftBehind) {
  // A crashed writer leaves a temp file; it must not look like an object.
  std::filesystem::create_directories(dir_.path() + "/root/d");
  std::string stray = dir_.path() + "/root/d/.x" + std::string(kLocalTempMarker) + "dead";
  FILE* f = std::fopen(stray.c_str(), "w");
  std::fclose(f);
  ASSERT_TRUE(storage_->Put("d/x", "data").ok());
  auto all = storage_->ListAll("d/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "d/x");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_.path() + "/root/d")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2);  // the object and the stray; the successful write left no temp file
}

TEST_F(LocalStorageTest, ListingSucceedsWhileObjectsAreReplacedAndTheirTempFilesComeAndGo) {
  // A log task rewrites its checkpoint objects every flush while PITR lists them: an entry that
  // vanishes between the directory read and its stat (a writer's temp file renamed into place)
  // is not an error of the listing.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(storage_->Put("cp/" + std::to_string(i), "0").ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t n = 0; !stop.load(); ++n) {
      storage_->Put("cp/" + std::to_string(n % 4), std::to_string(n)).IgnoreError();
    }
  });
  int failures = 0;
  std::string first;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int lists = 0;
  while (std::chrono::steady_clock::now() < deadline && failures == 0) {
    auto all = storage_->ListAll("cp/");
    ++lists;
    if (!all.ok()) {
      ++failures;
      first = all.status().ToString();
    } else if (all->size() != 4u) {
      ++failures;
      first = std::to_string(all->size()) + " objects listed, want 4";
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(failures, 0) << "after " << lists << " listings: " << first;
}

TEST_F(LocalStorageTest, ConcurrentCreateOnlyHasOneWinner) {
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (storage_->Put("lock", "owner-" + std::to_string(i), {.if_absent = true}).ok()) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

}  // namespace
}  // namespace brix::storage
