// Location ownership against a real cluster: brix locations never nest, and a backup's cleanup
// deletes only what its own run wrote (docs/format/locks.md).
#include "br/location.h"

#include <gtest/gtest.h>

#include "br/log/compaction.h"
#include "br/log/log_task.h"
#include "br/snapshot/backup.h"
#include "br/snapshot/validate.h"
#include "playground/workload.h"
#include "storage/open_storage.h"
#include "testing/cluster.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

class LocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ClusterOptions o;
    o.nodes = 1;
    auto c = testing::ClusterHarness::Start(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c);
    playground::LoadArgs a;
    a.tables = {"app.t1", "app.t2"};
    a.rows = 500;
    Status s = playground::RunLoad(cluster_->kv(), a);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }
  std::string Url(const std::string& name) { return "local://" + Path(name); }
  Result<BackupSummary> Backup(const std::string& name) {
    BackupOptions o;
    o.pd = cluster_->pd_addresses();
    o.storage_url = Url(name);
    o.sst_max_bytes = 16 << 10;  // several files per table
    return RunBackup(o);
  }
  Result<uint64_t> StartLog(const std::string& task, const std::string& name) {
    LogStartOptions o;
    o.pd = cluster_->pd_addresses();
    o.task_name = task;
    o.storage_url = Url(name);
    return StartLogTask(o);
  }
  void ExpectValid(const std::string& name) {
    auto report = ValidateBackup(Url(name), ProcessEnv());
    ASSERT_TRUE(report.ok()) << name << ": " << report.status().ToString();
    EXPECT_TRUE(report->ok()) << name << ": " << report->problems.front();
    EXPECT_GT(report->files, 0u);
  }
  static void ExpectRefusedNaming(const Status& s, const std::string& other) {
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.message().find(other), std::string::npos) << s.ToString();
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ClusterHarness> cluster_;
};

TEST_F(LocationTest, BackupAboveOrInsideAnotherBackupIsRefusedNamingItAndLeavesItRestorable) {
  auto inner = Backup("r/a");
  ASSERT_TRUE(inner.ok()) << inner.status().ToString();
  auto outer = Backup("r");
  ExpectRefusedNaming(outer.status(), Path("r/a"));
  ExpectValid("r/a");

  auto parent = Backup("p");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  auto child = Backup("p/b");
  ExpectRefusedNaming(child.status(), Path("p"));
  ExpectValid("p");
}

TEST_F(LocationTest, BackupInsideOrAtALogLocationIsRefusedNamingIt) {
  ASSERT_TRUE(StartLog("logs", "log").ok());
  ExpectRefusedNaming(Backup("log/snap").status(), Path("log"));
  ExpectRefusedNaming(Backup("log").status(), Path("log"));
}

TEST_F(LocationTest, LogStartAboveOrInsideABackupIsRefusedNamingIt) {
  ASSERT_TRUE(Backup("b/inner").ok());
  ExpectRefusedNaming(StartLog("above", "b").status(), Path("b/inner"));
  ExpectRefusedNaming(StartLog("inside", "b/inner/log").status(), Path("b/inner"));
  ExpectValid("b/inner");
}

TEST_F(LocationTest, CompactionRefusesALogLocationHoldingAnotherLocation) {
  ASSERT_TRUE(StartLog("compacted", "log").ok());
  // A backup that an older brix let in under the log.
  auto storage = storage::OpenStorage(Url("log"));
  ASSERT_TRUE(storage.ok());
  ASSERT_TRUE((*storage)->Put("old/backupmeta", "from an older brix").ok());
  CompactOptions o;
  o.storage_url = Url("log");
  o.from_ts = 1;
  o.until_ts = 2;
  ExpectRefusedNaming(CompactLog(o).status(), Path("log/old"));
}

TEST_F(LocationTest, CleanupAfterCommitKeepsFilesItsRunDidNotWrite) {
  auto storage = storage::OpenStorage(Url("mixed"));
  ASSERT_TRUE(storage.ok());
  // Objects that are not a brix location but look like backup files.
  ASSERT_TRUE((*storage)->Put("1/foreign.sst", "not ours").ok());
  ASSERT_TRUE((*storage)->Put("notes/x.sst", "not ours").ok());
  ASSERT_TRUE(Backup("mixed").ok());
  EXPECT_TRUE(*(*storage)->Exists("1/foreign.sst"));
  EXPECT_TRUE(*(*storage)->Exists("notes/x.sst"));
  ExpectValid("mixed");
}

TEST_F(LocationTest, DeletingARunsObjectsTouchesOnlyWhatThatRunOwned) {
  std::string run_id;
  BackupOptions o;
  o.pd = cluster_->pd_addresses();
  o.storage_url = Url("owned");
  o.on_owned = [&](const std::string& id) {
    run_id = id;
    return Status::OK();
  };
  ASSERT_TRUE(RunBackup(o).ok());
  ASSERT_FALSE(run_id.empty());
  auto storage = storage::OpenStorage(Url("owned"));
  ASSERT_TRUE(storage.ok());
  ASSERT_TRUE((*storage)->Put("keep/me.txt", "not ours").ok());

  // Another run's id (a failed duplicate CR) touches nothing.
  auto other = DeleteOwnedObjects(Url("owned"), ProcessEnv(), RunOwner::Snapshot("another-run"));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->deleted, 0u);
  EXPECT_FALSE(other->owned);
  ExpectValid("owned");
  // Nothing recorded (a run that never owned the location) touches nothing either.
  auto none = DeleteOwnedObjects(Url("owned"), ProcessEnv(), RunOwner::Snapshot(""));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->deleted, 0u);

  auto mine = DeleteOwnedObjects(Url("owned"), ProcessEnv(), RunOwner::Snapshot(run_id));
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_TRUE(mine->owned);
  EXPECT_GT(mine->deleted, 1u);
  auto left = (*storage)->ListAll("");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().name, "keep/me.txt");
}

TEST_F(LocationTest, DeletingALogTasksObjectsRequiresItsTaskAndStart) {
  auto start = StartLog("owner", "log");
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  auto storage = storage::OpenStorage(Url("log"));
  ASSERT_TRUE(storage.ok());
  ASSERT_TRUE((*storage)->Put("keep/me.txt", "not ours").ok());
  auto wrong = DeleteOwnedObjects(Url("log"), ProcessEnv(), RunOwner::Log("other", *start));
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(wrong->owned);
  EXPECT_TRUE(*(*storage)->Exists("v1/task"));
  auto mine = DeleteOwnedObjects(Url("log"), ProcessEnv(), RunOwner::Log("owner", *start));
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_TRUE(mine->owned);
  EXPECT_FALSE(*(*storage)->Exists("v1/task"));
  EXPECT_TRUE(*(*storage)->Exists("keep/me.txt"));
  ASSERT_TRUE(StopLogTask(cluster_->pd_addresses(), "owner").ok());
}

}  // namespace
}  // namespace brix::br
