// Who owns a backup location, through the real kubectl against a playground (docs/format/locks.md):
// a Backup CR owns its location only once its run has written the lock, and its clean job deletes
// only what that run wrote, so deleting a failed duplicate or a Backup at the container root
// never touches another Backup's data.
#include "operator/controller/controllers_e2e.h"

namespace brix {
namespace {

std::string BackupYaml(const std::string& name, const std::string& prefix) {
  BackupYamlOptions o;
  o.spec_lines = "  cleanPolicy: Delete\n";
  return FullBackupYaml(name, prefix, o);
}

TEST_F(OneClusterTest, DeletingAFailedDuplicateOrARootBackupLeavesTheGoodBackupIntact) {
  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "300"}).exit_code, 0);
  ASSERT_EQ(Apply(BackupYaml("good", "dup")).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "good", "phase", {"Complete", "Failed"}), "Complete")
      << Kubectl({"describe", "backup", "good", "-n", "test1"}).output;
  int objects = ObjectsUnder("dup");
  ASSERT_GT(objects, 0);

  // The same location again: refused (it holds a backup), so the duplicate never owned it.
  ASSERT_EQ(Apply(BackupYaml("duplicate", "dup")).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "duplicate", "phase", {"Complete", "Failed"}), "Failed");
  EXPECT_EQ(Field("backup", "duplicate", "backupPath"), "");
  auto deleted = Kubectl({"delete", "backup", "duplicate", "-n", "test1", "--timeout=60s"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_EQ(ObjectsUnder("dup"), objects);

  // The container root holds another backup: refused, and its deletion wipes nothing.
  ASSERT_EQ(Apply(BackupYaml("root", "")).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "root", "phase", {"Complete", "Failed"}), "Failed");
  Json root = Get("backup", "root");
  EXPECT_NE(root.dump().find("azure://my-container/dup"), std::string::npos) << root.dump(2);
  deleted = Kubectl({"delete", "backup", "root", "-n", "test1", "--timeout=60s"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_EQ(ObjectsUnder("dup"), objects);

  auto valid = BrixOn({"validate"}, "dup");
  EXPECT_EQ(valid.exit_code, 0) << valid.output;

  // The good backup's own deletion removes everything it wrote.
  deleted = Kubectl({"delete", "backup", "good", "-n", "test1", "--timeout=60s"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_EQ(ObjectsUnder("dup"), 0);
}

}  // namespace
}  // namespace brix
