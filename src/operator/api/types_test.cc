// The typed CR views (types.h) against the schema they share their names and defaults with.
#include "operator/api/types.h"

#include <gtest/gtest.h>

#include "operator/api/resources.h"
#include "operator/api/schema.h"

namespace brix::api {
namespace {

namespace f = field;

const Schema& SpecSchemaOf(const std::string& plural) {
  const ResourceInfo* info = FindResource(kBrGroup, kBrVersion, plural);
  return *info->schema->properties.at(f::kSpec);
}

TEST(Types, EveryFieldAViewReadsIsDeclaredInTheSchema) {
  const Schema& backup = SpecSchemaOf("backups");
  for (const char* name :
       {f::kAzblob, f::kS3, f::kGcs, f::kLocal, f::kBr, f::kBackupType, f::kBackupMode,
        f::kTableFilter, f::kCleanPolicy, f::kCommitTs, f::kLogSubcommand, f::kLogTruncateUntil,
        f::kLogStop, f::kBackoffRetryPolicy}) {
    EXPECT_TRUE(backup.properties.count(name)) << name;
  }
  const Schema& br = *backup.properties.at(f::kBr);
  for (const char* name :
       {f::kCluster, f::kClusterNamespace, f::kDb, f::kTable, f::kTimeAgo, f::kConcurrency,
        f::kRateLimit, f::kChecksum, f::kSendCredToTikv, f::kOptions}) {
    EXPECT_TRUE(br.properties.count(name)) << name;
  }
  const Schema& az = *backup.properties.at(f::kAzblob);
  for (const char* name : {f::kSecretName, f::kContainer, f::kPrefix, f::kAccessTier,
                           f::kStorageAccount, f::kSasToken}) {
    EXPECT_TRUE(az.properties.count(name)) << name;
  }
  const Schema& restore = SpecSchemaOf("restores");
  for (const char* name : {f::kRestoreMode, f::kPitrRestoredTs, f::kPitrFullBackupStorageProvider,
                           f::kLogRestoreStartTs, f::kBackoffLimit, f::kTableFilter}) {
    EXPECT_TRUE(restore.properties.count(name)) << name;
  }
  const Schema& compact = SpecSchemaOf("compactbackups");
  for (const char* name : {f::kStartTs, f::kEndTs, f::kConcurrency, f::kMaxRetryTimes}) {
    EXPECT_TRUE(compact.properties.count(name)) << name;
  }
  const Schema& schedule = SpecSchemaOf("backupschedules");
  for (const char* name : {f::kSchedule, f::kPause, f::kMaxBackups, f::kMaxReservedTime,
                           f::kCompactInterval, f::kMinCompactStartTs, f::kBackupTemplate,
                           f::kLogBackupTemplate, f::kCompactBackupTemplate}) {
    EXPECT_TRUE(schedule.properties.count(name)) << name;
  }
}

TEST(Types, ADefaultedSpecParsesToTheViewsDefaults) {
  Json backup = {{"spec", {{"backoffRetryPolicy", Json::object()}}}};
  ApplyDefaults(*FindResource(kBrGroup, kBrVersion, "backups")->schema, &backup);
  BackupSpec parsed = ParseBackup(backup).value().spec;
  BackupSpec defaults;
  EXPECT_EQ(parsed.backup_mode, defaults.backup_mode);
  EXPECT_EQ(parsed.backoff_retry_policy.min_retry_duration,
            defaults.backoff_retry_policy.min_retry_duration);
  EXPECT_EQ(parsed.backoff_retry_policy.max_retry_times,
            defaults.backoff_retry_policy.max_retry_times);
  EXPECT_EQ(parsed.backoff_retry_policy.retry_timeout, defaults.backoff_retry_policy.retry_timeout);
  Json compact = {{"spec", Json::object()}};
  ApplyDefaults(*FindResource(kBrGroup, kBrVersion, "compactbackups")->schema, &compact);
  EXPECT_TRUE(compact["spec"].contains(f::kConcurrency));
  CompactSpec cparsed = ParseCompactBackup(compact).value().spec;
  EXPECT_EQ(cparsed.concurrency, CompactSpec{}.concurrency);
  EXPECT_EQ(cparsed.max_retry_times, CompactSpec{}.max_retry_times);
}

TEST(Types, ABackupParsesItsSpecStatusAndMetadata) {
  Json b = Json::parse(R"({
    "metadata": {"name": "demo1", "namespace": "ns1", "uid": "u-1",
                 "creationTimestamp": "2026-01-02T03:04:05Z",
                 "deletionTimestamp": "2026-01-02T04:00:00Z",
                 "finalizers": ["tidb.pingcap.com/backup-protection"]},
    "spec": {"backupMode": "log", "logSubcommand": "log-pause", "cleanPolicy": "Delete",
             "azblob": {"container": "c", "prefix": "p", "secretName": "s", "sasToken": "t"},
             "br": {"cluster": "demo1", "concurrency": 8, "rateLimit": 4, "checksum": false,
                    "options": ["--compression", "lz4"]},
             "tableFilter": ["db.*"], "someFutureField": {"x": 1}},
    "status": {"phase": "Running", "commitTs": "5", "backupPath": "azure://c/p/",
               "backoffRetryStatus": [{"detectFailedAt": "a", "expectedRetryAt": "b"}],
               "logSubCommandStatuses": {"log-truncate": {"phase": "Scheduled",
                                                          "logTruncatingUntil": "9"}}}
  })");
  Backup backup = ParseBackup(b).value();
  EXPECT_EQ(backup.metadata.name, "demo1");
  EXPECT_EQ(backup.metadata.ns, "ns1");
  EXPECT_EQ(backup.metadata.uid, "u-1");
  EXPECT_TRUE(backup.metadata.deleting);
  EXPECT_TRUE(backup.metadata.HasFinalizer("tidb.pingcap.com/backup-protection"));
  EXPECT_TRUE(backup.spec.IsLogMode());
  EXPECT_EQ(backup.spec.log_subcommand, "log-pause");
  EXPECT_EQ(backup.spec.clean_policy, "Delete");
  ASSERT_TRUE(backup.spec.storage.azblob);
  EXPECT_EQ(backup.spec.storage.azblob->container, "c");
  EXPECT_EQ(backup.spec.storage.azblob->sas_token, "t");
  EXPECT_FALSE(backup.spec.storage.s3);
  EXPECT_EQ(backup.spec.br.concurrency, 8);
  EXPECT_EQ(backup.spec.br.rate_limit, 4.0);
  EXPECT_EQ(backup.spec.br.checksum, false);
  EXPECT_FALSE(backup.spec.br.send_cred_to_tikv);  // unset stays unset
  EXPECT_EQ(backup.spec.br.options, (std::vector<std::string>{"--compression", "lz4"}));
  EXPECT_EQ(backup.status.phase, "Running");
  EXPECT_EQ(backup.status.commit_ts, "5");
  ASSERT_EQ(backup.status.backoff_retry_status.size(), 1u);
  EXPECT_EQ(backup.status.backoff_retry_status[0].expected_retry_at, "b");
  EXPECT_TRUE(backup.status.backoff_retry_status[0].real_retry_at.empty());
  EXPECT_EQ(backup.status.LogSubPhase("log-truncate"), "Scheduled");
  EXPECT_EQ(backup.status.LogSubPhase("log-start"), "");
  EXPECT_EQ(backup.status.log_sub_command_statuses.at("log-truncate").log_truncating_until, "9");
  // The object as read stays whole, unknown fields included, for read-modify-writes.
  EXPECT_EQ(backup.object, b);
}

TEST(Types, AnEmptyObjectParsesToDefaults) {
  Backup b = ParseBackup(Json::object()).value();
  EXPECT_EQ(b.spec.backup_type, "full");
  EXPECT_EQ(b.spec.backup_mode, "snapshot");
  EXPECT_FALSE(b.spec.storage.azblob);
  EXPECT_TRUE(b.status.phase.empty());
  EXPECT_FALSE(b.metadata.deleting);
  Restore r = ParseRestore(Json::object()).value();
  EXPECT_EQ(r.spec.restore_mode, "snapshot");
  EXPECT_FALSE(r.spec.pitr_full_backup_storage);
  BackupSchedule s = ParseBackupSchedule(Json::object()).value();
  EXPECT_TRUE(s.spec.backup_template.is_null());
  EXPECT_FALSE(s.spec.log_backup_template);
}

TEST(Types, AWrongTypeIsInvalidArgumentNamingTheObject) {
  Json b = {{"metadata", {{"name", "demo1"}}}, {"spec", {{"br", {{"concurrency", "eight"}}}}}};
  auto parsed = ParseBackup(b);
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(parsed.status().IsInvalidArgument());
  EXPECT_NE(parsed.status().message().find("Backup demo1"), std::string::npos)
      << parsed.status().message();
}

TEST(Types, ScheduleTemplatesStayWholeJson) {
  Json s = {{"spec",
             {{"schedule", "@every 20s"},
              {"maxReservedTime", "3h"},
              {"backupTemplate", {{"br", {{"cluster", "c"}}}, {"toolImage", "x"}}},
              {"compactBackupTemplate", {{"concurrency", 2}}}}},
            {"status", {{"lastBackup", "b1"}, {"logBackup", 7}}}};
  BackupSchedule schedule = ParseBackupSchedule(s).value();
  EXPECT_EQ(schedule.spec.backup_template, s["spec"]["backupTemplate"]);
  ASSERT_TRUE(schedule.spec.compact_backup_template);
  EXPECT_EQ((*schedule.spec.compact_backup_template)["concurrency"], 2);
  EXPECT_EQ(schedule.spec.max_reserved_time, "3h");
  EXPECT_EQ(schedule.status.last_backup, "b1");
  EXPECT_EQ(schedule.status.log_backup, "");  // a status field of the wrong type reads as unset
}

}  // namespace
}  // namespace brix::api
