// The controllers' rules without a cluster: the log-backup effective command and condition
// mirroring (docs/controllers.md), schedule retention (with brix's maxBackups fix),
// the work queue, storage URLs, br.options mapping and the compaction progress parser.
#include <gtest/gtest.h>

#include <thread>

#include "operator/api/backup_status.h"
#include "operator/api/go_time.h"
#include "operator/api/job_kind.h"
#include "operator/api/storage_spec.h"
#include "operator/client/fake_api_client.h"
#include "operator/controller/context.h"
#include "operator/controller/retention.h"
#include "operator/controller/work_queue.h"
#include "operator/jobs/job_spec.h"
#include "operator/manager/manager.h"

namespace brix {
namespace {

using api::Json;
namespace cond = api::cond;
namespace logcmd = api::logcmd;

api::Backup LogBackup(const std::string& sub, const std::string& phase,
                      const std::string& commit_ts, const std::string& truncate = "",
                      const std::string& truncated = "") {
  Json b = {{"spec", {{"backupMode", "log"}}}, {"status", Json::object()}};
  if (!sub.empty()) b["spec"]["logSubcommand"] = sub;
  if (!truncate.empty()) b["spec"]["logTruncateUntil"] = truncate;
  if (!phase.empty()) b["status"]["phase"] = phase;
  if (!commit_ts.empty()) b["status"]["commitTs"] = commit_ts;
  if (!truncated.empty()) b["status"]["logSuccessTruncateUntil"] = truncated;
  return api::ParseBackup(b).value();
}

TEST(EffectiveLogCommand, FollowsTheReferenceTable) {
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-start", "", "")), logcmd::kStart);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("", "", "")), logcmd::kStart);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-pause", "Running", "5")), logcmd::kPause);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-start", "Pause", "5")), logcmd::kResume);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("", "Pause", "5")), logcmd::kResume);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-pause", "Pause", "5")), logcmd::kPause);
  // "Paused", written by brix before it showed the seed's word, still reads as paused.
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-start", "Paused", "5")), logcmd::kResume);
  EXPECT_TRUE(api::LogCommandInSync(LogBackup("log-pause", "Paused", "5"), logcmd::kPause));
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-stop", "Running", "5")), logcmd::kStop);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("", "Stopped", "5")), logcmd::kStop);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-start/log-pause/log-stop", "", "")),
            logcmd::kUnknown);
  // Truncation only once the command holds, and only for a new value.
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-start", "Running", "5", "100")),
            logcmd::kTruncate);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-start", "Running", "5", "100", "100")),
            logcmd::kStart);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-start", "", "", "100")), logcmd::kStart);
  EXPECT_EQ(api::EffectiveLogCommand(LogBackup("log-stop", "Stopped", "5", "100")),
            logcmd::kTruncate);
  EXPECT_EQ(api::LogJobName("demo1-log-backup-azblob", logcmd::kStart),
            "backup-demo1-log-backup-azblob-log-start");
}

TEST(LogConditions, MirrorToThePhaseAsTheReferenceDoes) {
  Json st;
  api::UpsertLogCondition(&st, {cond::kScheduled, "True", "", "", logcmd::kStart});
  EXPECT_EQ(st["phase"], "Scheduled");
  api::UpsertLogCondition(&st, {cond::kRunning, "True", "", "", logcmd::kStart});
  api::UpsertLogCondition(&st, {cond::kComplete, "True", "", "", logcmd::kStart});
  EXPECT_EQ(st["phase"], "Running");  // start's Complete stays below
  EXPECT_EQ(st["logSubCommandStatuses"]["log-start"]["phase"], "Complete");
  api::UpsertLogCondition(&st, {cond::kRunning, "True", "", "", logcmd::kPause});
  EXPECT_EQ(st["phase"], "Running");  // pause's Running does not reach the top
  api::UpsertLogCondition(&st, {cond::kComplete, "True", "", "", logcmd::kPause});
  EXPECT_EQ(st["phase"], "Pause");  // the seed's word (TiDB Operator's code says Paused)
  api::UpsertLogCondition(&st, {cond::kComplete, "True", "", "", logcmd::kResume});
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["logSubCommandStatuses"]["log-pause"]["phase"], "Repeatable");
  api::UpsertLogCondition(&st, {cond::kComplete, "True", "", "", logcmd::kTruncate});
  EXPECT_EQ(st["phase"], "Running");  // truncate never moves the phase
  api::UpsertLogCondition(&st, {cond::kComplete, "True", "", "", logcmd::kStop});
  EXPECT_EQ(st["phase"], "Stopped");
}

TEST(Conditions, UpsertKeepsTransitionTimeOfUnchangedConditions) {
  Json st;
  EXPECT_TRUE(api::UpsertCondition(&st, {cond::kScheduled}));
  st["conditions"][0]["lastTransitionTime"] = "2000-01-01T00:00:00Z";
  EXPECT_FALSE(api::UpsertCondition(&st, {cond::kScheduled}));
  EXPECT_EQ(st["conditions"][0]["lastTransitionTime"], "2000-01-01T00:00:00Z");
  EXPECT_TRUE(api::UpsertCondition(&st, {cond::kRestart}));
  EXPECT_EQ(st["phase"], "Scheduled");  // Restart never becomes the phase
  EXPECT_TRUE(api::UpsertCondition(&st, {cond::kRefused, "True", "LogBackupStopped", "no"}));
  EXPECT_EQ(st["phase"], "Scheduled");
  EXPECT_EQ(st["conditions"].size(), 3u);
}

uint64_t Ts(int64_t seconds) { return api::TsoFromUnixMillis(seconds * 1000); }

TEST(Retention, MaxReservedTimeWithoutLogDeletesTheExpiredPrefix) {
  controller::RetentionInput in;
  in.max_reserved_time = std::chrono::hours(1);
  in.now_ts = Ts(10'000);
  in.snapshots = {{"a", "Complete", Ts(1'000)},
                  {"b", "Failed", 0},
                  {"c", "Complete", Ts(9'000)},
                  {"d", "Running", 0}};
  auto plan = controller::PlanRetention(in);
  EXPECT_EQ(plan.delete_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(plan.truncate_until, 0u);
}

TEST(Retention, MaxReservedTimeWithLogKeepsTheSnapshotPitrNeeds) {
  controller::RetentionInput in;
  in.max_reserved_time = std::chrono::seconds(1000);
  in.now_ts = Ts(50'000);
  in.log = controller::LogEntry{Ts(500), Ts(5'000)};
  in.snapshots = {{"a", "Complete", Ts(1'000)},
                  {"b", "Complete", Ts(2'000)},
                  {"c", "Complete", Ts(3'000)},
                  {"d", "Complete", Ts(4'500)}};
  auto plan = controller::PlanRetention(in);
  // latest = 5000s, expired = 4000s: a, b, c are at or before; c is kept for PITR to 4000s.
  EXPECT_EQ(plan.delete_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(plan.truncate_until, Ts(3'000));
  in.compact_progress = Ts(2'500);  // compactions hold truncation back
  EXPECT_EQ(controller::PlanRetention(in).truncate_until, Ts(2'500));
}

TEST(Retention, MaxBackupsNeverDeletesTheLogAndTruncatesIt) {
  controller::RetentionInput in;
  in.max_backups = 2;
  in.now_ts = Ts(50'000);
  in.log = controller::LogEntry{Ts(500), Ts(5'000)};
  in.snapshots = {
      {"a", "Complete", Ts(1'000)}, {"b", "Complete", Ts(2'000)}, {"c", "Complete", Ts(3'000)}};
  auto plan = controller::PlanRetention(in);
  EXPECT_EQ(plan.delete_names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(plan.truncate_until, Ts(2'000));
  in.log.reset();
  EXPECT_EQ(controller::PlanRetention(in).truncate_until, 0u);
}

TEST(Retention, MaxBackupsCountsOnlyCompleteSnapshots) {
  controller::RetentionInput in;
  in.max_backups = 2;
  in.now_ts = Ts(50'000);
  in.snapshots = {{"a", "Complete", Ts(1'000)},
                  {"b", "Complete", Ts(2'000)},
                  {"c", "Failed", 0},
                  {"d", "Running", 0}};
  // Two usable backups and maxBackups 2: a failed and a running entry must not push them out.
  EXPECT_TRUE(controller::PlanRetention(in).delete_names.empty());
}

TEST(Retention, MaxBackupsNeverDeletesARunningBackup) {
  controller::RetentionInput in;
  in.max_backups = 2;
  in.now_ts = Ts(50'000);
  in.snapshots = {{"stuck", "Running", 0},
                  {"a", "Complete", Ts(1'000)},
                  {"b", "Complete", Ts(2'000)},
                  {"c", "Complete", Ts(3'000)}};
  EXPECT_EQ(controller::PlanRetention(in).delete_names, (std::vector<std::string>{"a"}));
}

TEST(Retention, FailedBackupsOlderThanEveryKeptSnapshotAreDeleted) {
  controller::RetentionInput in;
  in.max_backups = 1;
  in.now_ts = Ts(50'000);
  in.snapshots = {{"f1", "Failed", 0},
                  {"a", "Complete", Ts(1'000)},
                  {"f2", "Invalid", 0},
                  {"b", "Complete", Ts(2'000)},
                  {"f3", "Failed", 0}};
  EXPECT_EQ(controller::PlanRetention(in).delete_names,
            (std::vector<std::string>{"f1", "a", "f2"}));
}

TEST(Retention, AFailedBackupIsNeverTheSnapshotKeptForPitr) {
  controller::RetentionInput in;
  in.max_reserved_time = std::chrono::seconds(1000);
  in.now_ts = Ts(50'000);
  in.log = controller::LogEntry{Ts(500), Ts(5'000)};
  in.snapshots = {{"a", "Complete", Ts(1'000)}, {"b", "Failed", 0}, {"c", "Complete", Ts(4'500)}};
  // expired = 4000 s: PITR to it needs a (the newest Complete at or before it), not b.
  auto plan = controller::PlanRetention(in);
  EXPECT_TRUE(plan.delete_names.empty());
  EXPECT_EQ(plan.truncate_until, 0u);
}

TEST(Retention, WithoutLogTheNewestCompleteSnapshotSurvivesExpiry) {
  controller::RetentionInput in;
  in.max_reserved_time = std::chrono::hours(1);
  in.now_ts = Ts(100'000);
  in.snapshots = {{"a", "Complete", Ts(1'000)}, {"b", "Complete", Ts(2'000)}, {"c", "Failed", 0}};
  auto plan = controller::PlanRetention(in);
  EXPECT_EQ(plan.delete_names, (std::vector<std::string>{"a"}));
  EXPECT_FALSE(plan.all_deleted);
}

TEST(Retention, WithoutAnyCompleteSnapshotNothingIsDeleted) {
  controller::RetentionInput in;
  in.max_reserved_time = std::chrono::hours(1);
  in.now_ts = Ts(100'000);
  in.snapshots = {{"f1", "Failed", 0}, {"f2", "Failed", 0}};
  EXPECT_TRUE(controller::PlanRetention(in).delete_names.empty());
  in.max_reserved_time.reset();
  in.max_backups = 1;
  EXPECT_TRUE(controller::PlanRetention(in).delete_names.empty());
}

TEST(Retention, MaxBackupsKeepsTheSnapshotTheLogWindowNeeds) {
  controller::RetentionInput in;
  in.max_backups = 1;
  in.now_ts = Ts(50'000);
  in.log = controller::LogEntry{Ts(500), Ts(5'000)};
  in.snapshots = {
      {"a", "Complete", Ts(1'000)}, {"b", "Complete", Ts(2'000)}, {"c", "Complete", Ts(6'000)}};
  // c is past the log checkpoint: PITR into the log window [500, 5000] needs b.
  auto plan = controller::PlanRetention(in);
  EXPECT_EQ(plan.delete_names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(plan.truncate_until, Ts(2'000));
}

TEST(Retention, MaxReservedTimeKeepsTheSnapshotTheLogWindowNeeds) {
  controller::RetentionInput in;
  in.max_reserved_time = std::chrono::seconds(1000);
  in.now_ts = Ts(50'000);
  in.log = controller::LogEntry{Ts(500), Ts(5'000)};
  in.snapshots = {{"a", "Complete", Ts(1'000)},
                  {"b", "Complete", Ts(2'000)},
                  {"c", "Complete", Ts(5'500)},
                  {"d", "Complete", Ts(7'000)}};
  // expired = 6000 s keeps c, but the log only reaches 5000 s: b seeds PITR into it.
  auto plan = controller::PlanRetention(in);
  EXPECT_EQ(plan.delete_names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(plan.truncate_until, Ts(2'000));
}

TEST(Retention, NamesUseTheReferenceLayouts) {
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1678243680));
  EXPECT_EQ(controller::NameTimestamp(t), "2023-03-08t02-48-00");
  EXPECT_EQ(controller::WindowTimestamp(t), "2023-03-08 02:48:00");
}

TEST(WorkQueue, DeduplicatesAndNeverHandsOutAKeyTwice) {
  controller::WorkQueue q(std::chrono::milliseconds(5), std::chrono::milliseconds(50));
  q.Add("a");
  q.Add("a");
  q.Add("b");
  auto first = q.Get();
  ASSERT_TRUE(first);
  q.Add(*first);  // added while in progress: deferred until Done
  auto second = q.Get();
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  q.Done(*second);
  q.Done(*first);
  auto again = q.Get();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
  q.Done(*again);
  q.AddAfter("later", std::chrono::milliseconds(30));
  auto start = std::chrono::steady_clock::now();
  auto later = q.Get();
  EXPECT_EQ(*later, "later");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(25));
  q.Done("later");
  std::thread stopper([&] { q.ShutDown(); });
  EXPECT_FALSE(q.Get());
  stopper.join();
}

TEST(Storage, PathAndEngineUrlNeverCarryTheKey) {
  Json spec = {{"azblob",
                {{"secretName", "azblob-secret"},
                 {"container", "my-container"},
                 {"prefix", "/my-full-backup-folder/"}}}};
  auto storage = api::ParseStorageProvider(spec);
  ASSERT_TRUE(storage.ok());
  auto loc = api::StorageOf(*storage);
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->backup_path, "azure://my-container/my-full-backup-folder/");
  EXPECT_EQ(loc->secret_name, "azblob-secret");
  auto url = api::EngineStorageUrl(*storage,
                                   MapEnv({{"AZURE_STORAGE_ACCOUNT", "acct"},
                                           {"AZURE_STORAGE_KEY", "c2VjcmV0"},
                                           {"AZURE_STORAGE_ENDPOINT", "http://127.0.0.1:1/acct"}}));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url,
            "azure://my-container/my-full-backup-folder?account-name=acct&endpoint=http%3A%2F%2F"
            "127.0.0.1%3A1%2Facct");
  EXPECT_EQ(url->find("c2VjcmV0"), std::string::npos);
  EXPECT_FALSE(api::StorageOf(api::StorageProvider{}).ok());
}

TEST(Manager, BrOptionsMapToEngineFlags) {
  Json spec = {{"backupType", "table"},
               {"br",
                {{"cluster", "demo1"},
                 {"db", "db1"},
                 {"table", "table1"},
                 {"concurrency", 8},
                 {"options", {"--lastbackupts=420134118382108673", "--compression", "lz4"}}}}};
  auto apply = [](const Json& spec, br::BackupOptions* o) {
    return manager::ApplyBackupSpec(api::ParseBackupSpec(spec).value(), o);
  };
  br::BackupOptions o;
  ASSERT_TRUE(apply(spec, &o).ok());
  EXPECT_EQ(o.filter, (std::vector<std::string>{"db1.table1"}));
  EXPECT_EQ(o.concurrency, 8);
  EXPECT_EQ(o.last_backup_ts, 420134118382108673u);
  EXPECT_EQ(o.compression, "lz4");
  spec["tableFilter"] = {"db1.table1", "db1.table2"};
  ASSERT_TRUE(apply(spec, &o).ok());
  EXPECT_EQ(o.filter.size(), 2u);  // tableFilter wins over backupType
  spec["br"]["options"] = {"--no-such-flag=1"};
  Status s = apply(spec, &o);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--no-such-flag"), std::string::npos);
}

TEST(Manager, CompactProgressFromPlainAndJsonLines) {
  EXPECT_EQ(manager::CompactProgressIn("progress [READ_META(3/17),COMPACT_WORK(10/1291)] ok"),
            "[READ_META(3/17),COMPACT_WORK(10/1291)]");
  EXPECT_EQ(manager::CompactProgressIn(R"({"message":"Finishing compaction.","meta_completed":17,)"
                                       R"("meta_total":17,"bytes_compacted":1291,)"
                                       R"("bytes_to_compact":1291})"),
            "[READ_META(17/17),COMPACT_WORK(1291/1291)]");
  EXPECT_FALSE(manager::CompactProgressIn("Spawning compaction."));
}

TEST(Status, HumanBytesLikeHumanize) {
  EXPECT_EQ(api::HumanBytes(5), "5 B");
  EXPECT_EQ(api::HumanBytes(423'000), "423 kB");
  EXPECT_EQ(api::HumanBytes(1'200'000'000), "1.2 GB");
}

// Every Job a controller creates is one the job runner accepts (jobs/job_spec.h), with the kind
// annotation and the account the CR names.
TEST(CreateJob, EveryControllerJobIsOneTheRunnerRuns) {
  client::FakeApiClient api;
  controller::Context ctx{&api, {}};
  Json backup = {{"metadata", {{"name", "demo1"}, {"namespace", "test1"}, {"uid", "u1"}}},
                 {"spec", {{"serviceAccount", "tidb-backup-manager"}}}};
  std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"backup", "--namespace", "test1", "--name", "demo1"}, "backup"},
      {{"clean", "--namespace", "test1", "--name", "demo1"}, "clean"},
      {{"restore", "--namespace", "test1", "--name", "demo1"}, "restore"},
      {{"compact", "--namespace", "test1", "--name", "demo1"}, "compact"},
      {{"backup", "--namespace", "test1", "--name", "demo1", "--subcommand", "log-start"},
       "log-start"},
      {{"backup", "--namespace", "test1", "--name", "demo1", "--subcommand", "log-truncate",
        "--truncate-until", "443"},
       "log-truncate"}};
  int n = 0;
  for (const auto& [args, kind] : cases) {
    controller::JobRequest r;
    r.name = "job-" + std::to_string(n++);
    r.component = args[0];
    r.args = args;
    r.secret_name = "azblob";
    r.env = {{"BRIX_CLUSTER_PD", "127.0.0.1:1"}};
    ASSERT_TRUE(controller::CreateJob(ctx, client::Backups(), backup, r).ok());
    auto job = api.Get(client::Jobs(), "test1", r.name);
    ASSERT_TRUE(job.ok());
    EXPECT_EQ((*job)["metadata"]["annotations"][api::kJobKindAnnotation], kind);
    auto checked = jobs::CheckBrixJob(*job);
    ASSERT_TRUE(checked.ok()) << kind << ": " << checked.status().ToString();
    EXPECT_EQ(checked->kind, kind);
    EXPECT_EQ(checked->service_account, "tidb-backup-manager");
  }
  // The CR's account is used as is: no default account is made.
  EXPECT_TRUE(api.Get(client::ServiceAccounts(), "test1", "brix-job").status().IsNotFound());
}

// spec.encryption: the job's BRIX_ENCRYPTION_KEY is a required reference to the Secret's key of
// that name; the Job object holds no key.
TEST(CreateJob, AnEncryptedCrsJobTakesTheMasterKeyFromItsSecretByReferenceOnly) {
  client::FakeApiClient api;
  controller::Context ctx{&api, {}};
  Json backup = {{"metadata", {{"name", "b1"}, {"namespace", "test1"}, {"uid", "u1"}}},
                 {"spec", {{"encryption", {{"secretName", "master-key"}}}}}};
  controller::JobRequest r;
  r.name = "backup-b1";
  r.component = "backup";
  r.args = {"backup", "--namespace", "test1", "--name", "b1"};
  ASSERT_TRUE(controller::CreateJob(ctx, client::Backups(), backup, r).ok());
  auto job = api.Get(client::Jobs(), "test1", "backup-b1");
  ASSERT_TRUE(job.ok());
  Json key_env;
  for (const auto& e : (*job)["spec"]["template"]["spec"]["containers"][0]["env"]) {
    if (e["name"] == "BRIX_ENCRYPTION_KEY") key_env = e;
  }
  ASSERT_TRUE(key_env.is_object()) << job->dump();
  EXPECT_FALSE(key_env.contains("value"));
  EXPECT_EQ(key_env["valueFrom"]["secretKeyRef"],
            Json({{"name", "master-key"}, {"key", "BRIX_ENCRYPTION_KEY"}, {"optional", false}}));
  // Without spec.encryption there is no such variable.
  backup["spec"] = Json::object();
  r.name = "backup-b2";
  ASSERT_TRUE(controller::CreateJob(ctx, client::Backups(), backup, r).ok());
  auto plain = api.Get(client::Jobs(), "test1", "backup-b2");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->dump().find("BRIX_ENCRYPTION_KEY"), std::string::npos);
}

TEST(CreateJob, WithoutAnAccountTheJobRunsAsTheDefaultOneWithExactlyItsRights) {
  client::FakeApiClient api;
  controller::Context ctx{&api, {}};
  Json restore = {{"metadata", {{"name", "r1"}, {"namespace", "test1"}, {"uid", "u1"}}},
                  {"spec", Json::object()}};
  controller::JobRequest r;
  r.name = "restore-r1";
  r.component = "restore";
  r.args = {"restore", "--namespace", "test1", "--name", "r1"};
  ASSERT_TRUE(controller::CreateJob(ctx, client::Restores(), restore, r).ok());
  auto job = api.Get(client::Jobs(), "test1", "restore-r1");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ((*job)["spec"]["template"]["spec"]["serviceAccountName"],
            api::kDefaultJobServiceAccount);
  ASSERT_TRUE(api.Get(client::ServiceAccounts(), "test1", "brix-job").ok());
  auto role = api.Get(client::Roles(), "test1", "brix-job");
  ASSERT_TRUE(role.ok());
  EXPECT_EQ((*role)["rules"], controller::JobRoleRules());
  auto binding = api.Get(client::RoleBindings(), "test1", "brix-job");
  ASSERT_TRUE(binding.ok());
  EXPECT_EQ((*binding)["roleRef"]["name"], "brix-job");
  EXPECT_EQ((*binding)["subjects"][0]["name"], "brix-job");
  // The rules name no secrets, no jobs, no list/watch/delete/patch.
  std::string rules = controller::JobRoleRules().dump();
  for (const char* absent : {"secrets", "jobs", "list", "watch", "delete", "patch", "\"*\""}) {
    EXPECT_EQ(rules.find(absent), std::string::npos) << absent;
  }
}

// A job whose account lacks a right fails with the API's 403, and the CR says so when it still
// can (manager/manager.cc RunManager).
struct ForbiddenRun {
  client::FakeApiClient api;
  bool engine_ran = false;
  Status Run(const std::string& deny) {
    Json backup = {{"apiVersion", "br.pingcap.com/v1alpha1"},
                   {"kind", "Backup"},
                   {"metadata", {{"name", "demo1"}}},
                   {"spec", {{"azblob", {{"container", "c"}, {"prefix", "p"}}}}}};
    EXPECT_TRUE(api.Create(client::Backups(), "test1", backup).ok());
    api.deny.insert(deny);
    manager::Engine engine;
    engine.backup = [this](const br::BackupOptions&,
                           const br::ProgressFn&) -> Result<br::BackupSummary> {
      engine_ran = true;
      return br::BackupSummary{};
    };
    manager::ManagerRequest req{"backup", "test1", "demo1", "", ""};
    return manager::RunManager(
        api, engine, req,
        MapEnv({{"BRIX_CLUSTER_PD", "127.0.0.1:1"}, {"AZURE_STORAGE_ACCOUNT", "acct"}}));
  }
  Json Failed() {
    api.deny.clear();
    auto b = api.Get(client::Backups(), "test1", "demo1");
    for (const auto& c : b->value(Json::json_pointer("/status/conditions"), Json::array())) {
      if (c.value("type", "") == "Failed") return c;
    }
    return Json();
  }
};

TEST(ManagerRbac, ADeniedEventFailsTheJobAndTheCrCarriesThe403) {
  ForbiddenRun run;
  Status s = run.Run("create events");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(s.message().find("cannot create resource \"events\""), std::string::npos);
  EXPECT_FALSE(run.engine_ran);  // denied before any work
  Json failed = run.Failed();
  EXPECT_EQ(failed.value("reason", ""), "Forbidden");
  EXPECT_NE(failed.value("message", "").find("cannot create resource \"events\""),
            std::string::npos);
}

TEST(ManagerRbac, ADeniedStatusWriteFailsTheJobWithTheVerbAndResource) {
  ForbiddenRun run;
  Status s = run.Run("update backups/status");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(s.message().find("cannot update resource \"backups/status\""), std::string::npos);
  EXPECT_FALSE(run.engine_ran);
  EXPECT_TRUE(run.Failed().is_null());  // it could not write; the controller copies the reason
}

TEST(ManagerRbac, ADeniedGetFailsTheJob) {
  ForbiddenRun run;
  Status s = run.Run("get backups");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(s.message().find("cannot get resource \"backups\""), std::string::npos);
}

TEST(ManagerRbac, WithEveryRightTheBackupCompletes) {
  ForbiddenRun run;
  EXPECT_TRUE(run.Run("nothing denied").ok());
  EXPECT_TRUE(run.engine_ran);
}

// spec.verify: deep (docs/validate.md): the manager runs the deep validation after the backup;
// a pass completes it with status.verification, a failure marks it Failed (VerificationFailed)
// naming the file.
Json VerifiedBackup(const std::vector<br::ValidateProblem>& problems, Status* result) {
  client::FakeApiClient api;
  Json backup = {{"apiVersion", "br.pingcap.com/v1alpha1"},
                 {"kind", "Backup"},
                 {"metadata", {{"name", "demo1"}}},
                 {"spec", {{"verify", "deep"}, {"azblob", {{"container", "c"}, {"prefix", "p"}}}}}};
  EXPECT_TRUE(api.Create(client::Backups(), "test1", backup).ok());
  manager::Engine engine;
  engine.backup = [](const br::BackupOptions&, const br::ProgressFn&) -> Result<br::BackupSummary> {
    br::BackupSummary s;
    s.backup_ts = 42;
    return s;
  };
  std::string verified_url;
  engine.validate_deep = [&](const br::DeepValidateOptions& o,
                             const br::ProgressFn&) -> Result<br::DeepValidateReport> {
    verified_url = o.storage_url;
    br::DeepValidateReport r;
    r.files = 3;
    r.bytes = 300;
    r.problems = problems;
    return r;
  };
  manager::ManagerRequest req{"backup", "test1", "demo1", "", ""};
  *result = manager::RunManager(
      api, engine, req,
      MapEnv({{"BRIX_CLUSTER_PD", "127.0.0.1:1"}, {"AZURE_STORAGE_ACCOUNT", "acct"}}));
  EXPECT_FALSE(verified_url.empty());  // the location the backup wrote
  auto b = api.Get(client::Backups(), "test1", "demo1");
  EXPECT_TRUE(b.ok());
  return b.ok() ? (*b)["status"] : Json();
}

TEST(ManagerVerify, APassingDeepValidationCompletesTheBackupWithItsResult) {
  Status s;
  Json st = VerifiedBackup({}, &s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(st.value("phase", ""), "Complete") << st.dump(2);
  EXPECT_EQ(st["verification"]["result"], "Passed");
  EXPECT_EQ(st["verification"]["checkedFiles"], 3);
  EXPECT_EQ(st.value("commitTs", ""), "42");
}

TEST(ManagerVerify, AFailedDeepValidationFailsTheBackupNamingTheFile) {
  Status s;
  Json st = VerifiedBackup({{"1_2_abc.sst", "SHA-256 does not match its metadata"}}, &s);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(st.value("phase", ""), "Failed") << st.dump(2);
  EXPECT_EQ(st["verification"]["result"], "Failed");
  EXPECT_EQ(st["verification"]["problems"][0]["file"], "1_2_abc.sst");
  bool named = false;
  for (const auto& c : st["conditions"]) {
    named = named || (c.value("reason", "") == "VerificationFailed" &&
                      c.value("message", "").find("1_2_abc.sst") != std::string::npos);
  }
  EXPECT_TRUE(named) << st.dump(2);
  EXPECT_EQ(st.value("commitTs", ""), "42");  // the data is there; what it holds is recorded
}

}  // namespace
}  // namespace brix
