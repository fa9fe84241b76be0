// The BackupSchedule through the real kubectl against a real playground: cron, pause and
// retention, the seed's integrated schedules (log backup, compaction as written), and retention
// that keeps PITR possible.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/net_util.h"
#include "common/process.h"
#include "operator/controller/controllers_e2e.h"

namespace brix {
namespace {

// A seconds-scale schedule creates backups named <schedule>-<UTC time> with the schedule's
// labels and retires them by maxReservedTime; pause stops new ones; the integrated schedule
// makes exactly one log backup that retention never deletes.
TEST_F(OneClusterTest, ScheduleCreatesAndRetiresBackups) {
  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "200"}).exit_code, 0);
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: BackupSchedule
metadata:
  name: demo1-backup-schedule-azblob
  namespace: test1
spec:
  maxReservedTime: "4s"
  schedule: "@every 2s"
  backupTemplate:
    backupType: full
    cleanPolicy: Delete
    br:
      cluster: demo1
    azblob:
      secretName: azblob-secret
      container: my-container
      prefix: my-folder
)")
                .exit_code,
            0);
  const std::string selector = "tidb.pingcap.com/backup-schedule=demo1-backup-schedule-azblob";
  // Retention events prove backups were both made and retired.
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        return Kubectl({"describe", "bks", "demo1-backup-schedule-azblob", "-n", "test1"})
                   .output.find("DeletedBackup") != std::string::npos;
      },
      60s, 500ms))
      << Kubectl({"describe", "bks", "-n", "test1"}).output;
  auto list = Kubectl({"get", "bk", "-l", selector, "-n", "test1"});
  EXPECT_NE(list.output.find("demo1-backup-schedule-azblob-20"), std::string::npos) << list.output;
  auto wide = Kubectl({"get", "bks", "-n", "test1", "-o", "wide"});
  EXPECT_NE(wide.output.find("@every 2s"), std::string::npos) << wide.output;
  std::string last = Field("bks", "demo1-backup-schedule-azblob", "lastBackup");
  EXPECT_NE(last.find("demo1-backup-schedule-azblob-"), std::string::npos);
  // Paused: no new backups.
  ASSERT_EQ(Kubectl({"patch", "bks", "demo1-backup-schedule-azblob", "-n", "test1", "--type",
                     "merge", "-p", R"({"spec":{"pause":true}})"})
                .exit_code,
            0);
  // Let a backup already made finish, then nothing new may appear for several ticks.
  std::string paused_at;
  brix::PollUntil(
      [&] {
        std::string now = Field("bks", "demo1-backup-schedule-azblob", "lastBackup");
        bool same = now == paused_at;
        paused_at = now;
        return same;
      },
      15s, 3000ms);  // a reconcile that read the schedule before the patch may still create one
  EXPECT_FALSE(brix::PollUntil(
      [&] { return Field("bks", "demo1-backup-schedule-azblob", "lastBackup") != paused_at; }, 4s,
      500ms));
  // The integrated schedule: one log backup log-<schedule>, labelled, in its own folder.
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "integrated-backup-scheduler.yaml"}).exit_code, 0);
  EXPECT_EQ(WaitFor("bks", "integrated-backup-schedule-azblob", "logBackup",
                    {"log-integrated-backup-schedule-azblob"}, 30s),
            "log-integrated-backup-schedule-azblob");
  Json log = Get("backup", "log-integrated-backup-schedule-azblob");
  ASSERT_TRUE(log.is_object());
  EXPECT_EQ(log["spec"]["backupMode"], "log");
  EXPECT_EQ(log["metadata"]["labels"]["tidb.pingcap.com/backup-schedule"],
            "integrated-backup-schedule-azblob");
  EXPECT_EQ(log["spec"]["azblob"]["prefix"].get<std::string>().rfind(
                "schedule-backup-folder-log/log-20", 0),
            0u);
  // The seed's compaction schedule as written (compactInterval 1h, no compactBackupTemplate):
  // the first CompactBackup comes with the log's first checkpoint, on the log backup's storage
  // (issue 16 item 1), and the schedule's status says what it compacts next.
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "integrated-compact-scheduler.yaml"}).exit_code, 0);
  Json compact = CompletedCompact("integrated-backup-schedule-azblob");
  ASSERT_TRUE(compact.is_object())
      << Kubectl({"get", "cpbk", "-n", "test1"}).output
      << Kubectl({"describe", "bks", "integrated-backup-schedule-azblob", "-n", "test1"}).output;
  EXPECT_EQ(compact["spec"]["azblob"]["prefix"], log["spec"]["azblob"]["prefix"]);
  EXPECT_EQ(compact["spec"]["br"]["cluster"], "demo1");
  EXPECT_NE(Kubectl({"get", "cpbk", "-n", "test1"}).output.find("Complete"), std::string::npos);
  // Once it finished, the status says when the next one comes (an interval later).
  Json next;
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        next = Get("bks", "integrated-backup-schedule-azblob")["status"]["nextCompact"];
        return next.is_object() &&
               next.value("waitingFor", "").find("to finish") == std::string::npos;
      },
      20s, 500ms))
      << next.dump();
  EXPECT_GE(next.value("startTs", ""), compact["spec"].value("startTs", "")) << next.dump();
  EXPECT_FALSE(next.value("notBefore", "").empty()) << next.dump();
  EXPECT_NE(Kubectl({"describe", "bks", "integrated-backup-schedule-azblob", "-n", "test1"})
                .output.find("Next Compact"),
            std::string::npos);
  // Deleting a schedule deletes what it owns (through their finalizers).
  ASSERT_EQ(Kubectl({"delete", "bks", "demo1-backup-schedule-azblob", "-n", "test1"}).exit_code, 0);
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        auto r = Kubectl({"get", "bk", "-l", selector, "-n", "test1", "-o", "name"});
        return r.exit_code == 0 && r.output.empty();
      },
      60s, 500ms));
}

// The integrated schedule at seconds scale: CompactBackups every compactInterval, and retention
// that keeps PITR possible: it truncates the log backup to the oldest kept snapshot (capped by
// compaction progress) and never retires the log backup.
TEST_F(OneClusterTest, IntegratedScheduleTruncatesLogsAndCompacts) {
  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "200"}).exit_code, 0);
  std::string storage = R"(
    azblob:
      secretName: azblob-secret
      container: my-container
      prefix: )";
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: BackupSchedule
metadata:
  name: integrated
  namespace: test1
spec:
  maxReservedTime: "4s"
  schedule: "@every 2s"
  compactInterval: "2s"
  backupTemplate:
    backupType: full
    cleanPolicy: Delete
    br:
      cluster: demo1)" +
                  storage + R"(snap
  logBackupTemplate:
    backupMode: log
    br:
      cluster: demo1)" +
                  storage + R"(log
  compactBackupTemplate:
    br:
      cluster: demo1)" +
                  storage + R"(log
)")
                .exit_code,
            0);
  EXPECT_EQ(WaitFor("backup", "log-integrated", "phase", {"Running", "Failed"}, 30s), "Running");
  // Compactions are scheduled once the log has a checkpoint, and complete with their progress.
  // (Retention deletes old CompactBackups too, so each is read once, whole.)
  Json compact = CompletedCompact("integrated");
  ASSERT_TRUE(compact.is_object()) << Kubectl({"get", "cpbk", "-n", "test1"}).output;
  EXPECT_EQ(compact["status"].value("progress", "").rfind("[READ_META(", 0), 0u);
  EXPECT_EQ(compact["metadata"]["labels"].value("tidb.pingcap.com/backup-schedule", ""),
            "integrated");
  // Retention truncates the log to the oldest kept snapshot (no further than compacted).
  std::string until;
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        until = Get("backup", "log-integrated")["spec"].value("logTruncateUntil", "");
        return !until.empty();
      },
      240s, 500ms));  // generous: under the sanitizers beside other suites it took 175 s
  EXPECT_EQ(WaitFor("backup", "log-integrated", "logSuccessTruncateUntil", {until}, 30s), until);
  // No kept snapshot is older than the truncation point (each can still seed a PITR), and the
  // log backup is never retired.
  until = Get("backup", "log-integrated")["spec"].value("logTruncateUntil", "");
  Json list = Json::parse(Kubectl({"get", "bk", "-n", "test1", "-l",
                                   "tidb.pingcap.com/backup-schedule=integrated", "-o", "json"})
                              .output);
  int complete = 0;
  for (const auto& b : list["items"]) {
    if (!b.contains("status") || b["status"].value("phase", "") != "Complete" ||
        b["spec"].value("backupMode", "") == "log") {
      continue;
    }
    ++complete;
    if (until.empty()) continue;  // already failed above
    EXPECT_GE(std::stoull(b["status"].value("commitTs", "0")), std::stoull(until));
  }
  EXPECT_GT(complete, 0) << Kubectl({"get", "bk", "-n", "test1", "-o", "wide"}).output;
  EXPECT_EQ(Field("backup", "log-integrated", "phase"), "Running");
}

}  // namespace
}  // namespace brix
