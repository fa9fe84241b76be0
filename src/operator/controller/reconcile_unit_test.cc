// The reconcilers against an in-memory API (FakeApiClient), no cluster: a Running log task's
// checkpoint is tracked whatever its command does, and the seed's compaction schedule (no
// compactBackupTemplate) compacts the log backup's storage from its first checkpoint on.
#include <gtest/gtest.h>

#include "common/time_util.h"
#include "operator/api/go_time.h"
#include "operator/client/fake_api_client.h"
#include "operator/controller/controllers.h"

namespace brix {
namespace {

using api::Json;
using controller::kBackupProtection;
using controller::Millis;
using namespace std::chrono_literals;

// A Running log Backup of demo1 in test1 whose command is out of sync as `status` says.
Json OutOfSyncLogBackup(const std::string& name, const Json& spec_extra, const Json& subs) {
  Json b = {
      {"metadata", {{"name", name}, {"namespace", "test1"}, {"finalizers", {kBackupProtection}}}},
      {"spec",
       {{"backupMode", "log"},
        {"br", {{"cluster", "demo1"}}},
        {"azblob", {{"secretName", "s"}, {"container", "c"}, {"prefix", name}}}}},
      {"status", {{"phase", "Running"}, {"commitTs", "5"}, {"logSubCommandStatuses", subs}}}};
  b["spec"].update(spec_extra);
  return b;
}

TEST(LogCheckpoint, MovesForEveryRunningTaskWhateverItsCommandDoes) {
  client::FakeApiClient api;
  controller::ControllerOptions options;
  options.clusters = {{"test1/demo1", "127.0.0.1:1"}};
  uint64_t checkpoint = 100;
  options.log_progress = [&](const std::string&, const std::string&) -> Result<br::LogTaskStatus> {
    br::LogTaskStatus st;
    st.checkpoint_ts = checkpoint;
    return st;
  };
  controller::Context ctx{&api, options};
  controller::BackupController backups(&ctx);
  // A failed pause; a truncation in flight (its job runs, e.g. across a brixd restart); a
  // failed truncation.
  const Json failed = {{"phase", "Failed"}};
  ASSERT_TRUE(api.Create(client::Backups(), "test1",
                         OutOfSyncLogBackup("pause-failed", {{"logSubcommand", "log-pause"}},
                                            {{"log-pause", failed}}))
                  .ok());
  auto in_flight =
      api.Create(client::Backups(), "test1",
                 OutOfSyncLogBackup(
                     "truncating", {{"logSubcommand", "log-start"}, {"logTruncateUntil", "300"}},
                     {{"log-truncate", {{"phase", "Running"}, {"logTruncatingUntil", "300"}}}}));
  ASSERT_TRUE(in_flight.ok());
  Json job = {
      {"metadata",
       {{"name", "backup-truncating-log-truncate"},
        {"ownerReferences", {{{"uid", (*in_flight)["metadata"]["uid"]}, {"controller", true}}}}}},
      {"status", {{"active", 1}}}};
  ASSERT_TRUE(api.Create(client::Jobs(), "test1", job).ok());
  ASSERT_TRUE(
      api.Create(client::Backups(), "test1",
                 OutOfSyncLogBackup(
                     "truncate-failed", {{"logSubcommand", "log-start"}, {"logTruncateUntil", "9"}},
                     {{"log-truncate", {{"phase", "Failed"}, {"logTruncatingUntil", "9"}}}}))
          .ok());
  for (uint64_t cp : {100, 200}) {
    checkpoint = cp;
    for (const char* name : {"pause-failed", "truncating", "truncate-failed"}) {
      auto outcome = backups.Reconcile("test1", name);
      ASSERT_TRUE(outcome.ok()) << name << ": " << outcome.status().ToString();
      ASSERT_TRUE(outcome->requeue_after.has_value()) << name;
      EXPECT_LE(*outcome->requeue_after, options.checkpoint_interval) << name;
      auto got = api.Get(client::Backups(), "test1", name);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ((*got)["status"].value("logCheckpointTs", ""), std::to_string(cp)) << name;
      EXPECT_EQ((*got)["status"].value("phase", ""), "Running") << name;
    }
  }
}

// The seed's integrated schedule: compactInterval, a logBackupTemplate, no compactBackupTemplate.
TEST(ScheduleCompaction, WithoutATemplateCompactsTheLogBackupsStorageAtItsFirstCheckpoint) {
  client::FakeApiClient api;
  controller::ControllerOptions options;
  controller::Context ctx{&api, options};
  controller::ScheduleController schedules(&ctx);
  auto now = std::chrono::system_clock::now();
  auto tso_at = [&](std::chrono::seconds ago) {
    return api::TsoFromUnixMillis(
        std::chrono::duration_cast<std::chrono::milliseconds>((now - ago).time_since_epoch())
            .count());
  };
  Json azblob = {{"secretName", "azblob-secret"}, {"container", "c"}, {"prefix", "log"}};
  Json bks = {{"metadata", {{"name", "s"}, {"namespace", "test1"}}},
              {"spec",
               {{"schedule", "@every 1h"},
                {"compactInterval", "1h"},
                {"backupTemplate", {{"br", {{"cluster", "demo1"}}}}},
                {"logBackupTemplate",
                 {{"backupMode", "log"},
                  {"logSubcommand", "log-start"},
                  {"serviceAccount", "tidb-backup-manager"},
                  {"br", {{"cluster", "demo1"}, {"sendCredToTikv", true}}},
                  {"azblob", azblob}}}}},
              {"status",
               {{"logBackup", "log-s"},
                {"logBackupStartTs", FormatIso8601(now - std::chrono::seconds(10))}}}};
  ASSERT_TRUE(api.Create(client::BackupSchedules(), "test1", bks).ok());
  Json log = {{"metadata", {{"name", "log-s"}, {"namespace", "test1"}}},
              {"spec", {{"backupMode", "log"}, {"br", {{"cluster", "demo1"}}}, {"azblob", azblob}}},
              {"status", {{"phase", "Running"}, {"commitTs", std::to_string(tso_at(10s))}}}};
  log["spec"]["azblob"]["prefix"] = "log/log-2026";
  ASSERT_TRUE(api.Create(client::Backups(), "test1", log).ok());
  // No checkpoint yet: it says so, and looks again soon.
  auto outcome = schedules.Reconcile("test1", "s");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_LE(outcome->requeue_after.value_or(Millis(0)), Millis(2000));
  Json next = api.Get(client::BackupSchedules(), "test1", "s")->at("status")["nextCompact"];
  EXPECT_NE(next.value("waitingFor", "").find("checkpoint of log backup log-s"), std::string::npos)
      << next.dump();
  // The first checkpoint: the first CompactBackup, on the log backup's storage, with its br and
  // pod fields and none of the log-only ones.
  log = *api.Get(client::Backups(), "test1", "log-s");
  log["status"]["logCheckpointTs"] = std::to_string(tso_at(2s));
  ASSERT_TRUE(api.UpdateStatus(client::Backups(), log).ok());
  ASSERT_TRUE(schedules.Reconcile("test1", "s").ok());
  Json st = api.Get(client::BackupSchedules(), "test1", "s")->at("status");
  std::string name = st.value("lastCompact", "");
  ASSERT_EQ(name.rfind("compact-s-", 0), 0u) << st.dump();
  auto cpbk = api.Get(client::CompactBackups(), "test1", name);
  ASSERT_TRUE(cpbk.ok());
  const Json& spec = (*cpbk)["spec"];
  EXPECT_EQ(spec["azblob"]["prefix"], "log/log-2026");
  EXPECT_EQ(spec["br"]["cluster"], "demo1");
  EXPECT_EQ(spec["serviceAccount"], "tidb-backup-manager");
  EXPECT_FALSE(spec.contains("backupMode"));
  EXPECT_FALSE(spec.contains("logSubcommand"));
  EXPECT_FALSE(spec.value("startTs", "").empty());
  EXPECT_GE(spec.value("endTs", ""), spec.value("startTs", ""));
  EXPECT_EQ(st["nextCompact"].value("startTs", ""), spec.value("endTs", ""));
  EXPECT_EQ(st["nextCompact"].value("waitingFor", ""), "CompactBackup " + name + " to finish");
  EXPECT_FALSE(st["nextCompact"].value("notBefore", "").empty());
}

TEST(ScheduleCompaction, WithNothingToCompactTheStatusSaysWhy) {
  client::FakeApiClient api;
  controller::Context ctx{&api, {}};
  controller::ScheduleController schedules(&ctx);
  Json bks = {{"metadata", {{"name", "s"}, {"namespace", "test1"}}},
              {"spec",
               {{"schedule", "@every 1h"},
                {"compactInterval", "1h"},
                {"backupTemplate", {{"br", {{"cluster", "demo1"}}}}}}}};
  ASSERT_TRUE(api.Create(client::BackupSchedules(), "test1", bks).ok());
  ASSERT_TRUE(schedules.Reconcile("test1", "s").ok());
  Json st = api.Get(client::BackupSchedules(), "test1", "s")->at("status");
  EXPECT_NE(st["nextCompact"].value("waitingFor", "").find("spec.logBackupTemplate"),
            std::string::npos)
      << st.dump();
}

}  // namespace
}  // namespace brix
