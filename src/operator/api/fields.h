// The JSON field names and enum values of the backup CRs that brix reads or writes: the one
// place they are spelled. The schema (resources.cc) declares its properties with these names,
// the typed views (types.h) parse them, and the status writers (controllers, `brix manager`)
// write with them, so a name cannot drift between the schema and the code that uses it. Fields
// the schema only accepts (pod fields, volume-snapshot options, ...) and nothing reads are
// spelled in resources.cc alone.
#pragma once

#include <string>
#include <string_view>

namespace brix::api::field {

// Object
inline constexpr char kMetadata[] = "metadata";
inline constexpr char kSpec[] = "spec";
inline constexpr char kStatus[] = "status";
// "spec.<name>": how error messages name a top-level spec field.
inline std::string SpecField(std::string_view name) { return "spec." + std::string(name); }

// StorageProvider members, inlined into specs
inline constexpr char kAzblob[] = "azblob";
inline constexpr char kS3[] = "s3";
inline constexpr char kGcs[] = "gcs";
inline constexpr char kLocal[] = "local";
// azblob
inline constexpr char kSecretName[] = "secretName";
inline constexpr char kContainer[] = "container";
inline constexpr char kPrefix[] = "prefix";
inline constexpr char kAccessTier[] = "accessTier";
inline constexpr char kStorageAccount[] = "storageAccount";
inline constexpr char kSasToken[] = "sasToken";
// encryption (Backup, Restore, CompactBackup; docs/encryption.md): {secretName}
inline constexpr char kEncryption[] = "encryption";

// br
inline constexpr char kBr[] = "br";
inline constexpr char kCluster[] = "cluster";
inline constexpr char kClusterNamespace[] = "clusterNamespace";
inline constexpr char kDb[] = "db";
inline constexpr char kTable[] = "table";
inline constexpr char kConcurrency[] = "concurrency";
inline constexpr char kRateLimit[] = "rateLimit";
inline constexpr char kTimeAgo[] = "timeAgo";
inline constexpr char kChecksum[] = "checksum";
inline constexpr char kSendCredToTikv[] = "sendCredToTikv";
inline constexpr char kOptions[] = "options";
inline constexpr char kLogLevel[] = "logLevel";

// Backup spec
inline constexpr char kBackupType[] = "backupType";
inline constexpr char kBackupMode[] = "backupMode";
inline constexpr char kTableFilter[] = "tableFilter";
inline constexpr char kCleanPolicy[] = "cleanPolicy";
inline constexpr char kCommitTs[] = "commitTs";
inline constexpr char kLogSubcommand[] = "logSubcommand";
inline constexpr char kLogTruncateUntil[] = "logTruncateUntil";
inline constexpr char kLogStop[] = "logStop";
inline constexpr char kVerify[] = "verify";  // Backup: deep validation after it (docs/validate.md)
inline constexpr char kBackoffRetryPolicy[] = "backoffRetryPolicy";
inline constexpr char kMinRetryDuration[] = "minRetryDuration";
inline constexpr char kMaxRetryTimes[] = "maxRetryTimes";  // also CompactBackup spec
inline constexpr char kRetryTimeout[] = "retryTimeout";

// Restore spec
inline constexpr char kRestoreMode[] = "restoreMode";
inline constexpr char kPitrRestoredTs[] = "pitrRestoredTs";
inline constexpr char kPitrFullBackupStorageProvider[] = "pitrFullBackupStorageProvider";
inline constexpr char kLogRestoreStartTs[] = "logRestoreStartTs";
inline constexpr char kDryRun[] = "dryRun";  // Restore: plan only (docs/backup.md)
inline constexpr char kBackoffLimit[] = "backoffLimit";

// CompactBackup spec
inline constexpr char kStartTs[] = "startTs";
inline constexpr char kEndTs[] = "endTs";  // also CompactBackup status

// BackupSchedule spec
inline constexpr char kSchedule[] = "schedule";
inline constexpr char kPause[] = "pause";
inline constexpr char kMaxBackups[] = "maxBackups";
inline constexpr char kMaxReservedTime[] = "maxReservedTime";
inline constexpr char kCompactInterval[] = "compactInterval";
inline constexpr char kBackupTemplate[] = "backupTemplate";
inline constexpr char kLogBackupTemplate[] = "logBackupTemplate";
inline constexpr char kCompactBackupTemplate[] = "compactBackupTemplate";
inline constexpr char kMinCompactStartTs[] = "minCompactStartTs";

// Backup and Restore status (conditions: backup_status.h)
inline constexpr char kPhase[] = "phase";
inline constexpr char kConditions[] = "conditions";
inline constexpr char kBackupPath[] = "backupPath";
inline constexpr char kBackupRunId[] = "backupRunId";  // brix's: the run that owns backupPath
inline constexpr char kLogCheckpointTs[] = "logCheckpointTs";
inline constexpr char kLogSuccessTruncateUntil[] = "logSuccessTruncateUntil";
inline constexpr char kLogFlushError[] = "logFlushError";  // brix's
inline constexpr char kLogSubCommandStatuses[] = "logSubCommandStatuses";
inline constexpr char kLogTruncatingUntil[] = "logTruncatingUntil";
inline constexpr char kTimeStarted[] = "timeStarted";
inline constexpr char kTimeCompleted[] = "timeCompleted";
inline constexpr char kTimeTaken[] = "timeTaken";
inline constexpr char kTimeSynced[] = "timeSynced";
inline constexpr char kBackupSize[] = "backupSize";
inline constexpr char kBackupSizeReadable[] = "backupSizeReadable";
inline constexpr char kProgresses[] = "progresses";
// backoffRetryStatus records (Backup and CompactBackup)
inline constexpr char kBackoffRetryStatus[] = "backoffRetryStatus";
inline constexpr char kRetryNum[] = "retryNum";
inline constexpr char kDetectFailedAt[] = "detectFailedAt";
inline constexpr char kExpectedRetryAt[] = "expectedRetryAt";
inline constexpr char kRealRetryAt[] = "realRetryAt";
inline constexpr char kRetryReason[] = "retryReason";
inline constexpr char kOriginalReason[] = "originalReason";

// CompactBackup status
inline constexpr char kState[] = "state";
inline constexpr char kMessage[] = "message";
inline constexpr char kProgress[] = "progress";

// BackupSchedule status
inline constexpr char kLastBackup[] = "lastBackup";
inline constexpr char kLastBackupTime[] = "lastBackupTime";
inline constexpr char kAllBackupCleanTime[] = "allBackupCleanTime";
inline constexpr char kLogBackup[] = "logBackup";
inline constexpr char kLogBackupStartTs[] = "logBackupStartTs";
inline constexpr char kLastCompact[] = "lastCompact";
inline constexpr char kLastCompactProgress[] = "lastCompactProgress";
inline constexpr char kLastCompactExecutionTs[] = "lastCompactExecutionTs";
inline constexpr char kNextCompact[] = "nextCompact";  // {startTs, notBefore, waitingFor}
inline constexpr char kNotBefore[] = "notBefore";
inline constexpr char kWaitingFor[] = "waitingFor";

}  // namespace brix::api::field

// Enum values the code compares against (the schema's Enum lists use them too).
namespace brix::api::value {
inline constexpr char kFull[] = "full";  // backupType
inline constexpr char kDb[] = "db";
inline constexpr char kTable[] = "table";
inline constexpr char kSnapshot[] = "snapshot";               // backupMode, restoreMode
inline constexpr char kLog[] = "log";                         // backupMode
inline constexpr char kPitr[] = "pitr";                       // restoreMode
inline constexpr char kVolumeSnapshot[] = "volume-snapshot";  // accepted by TiDB Operator only
inline constexpr char kCool[] = "Cool";                       // accessTier's default
inline constexpr char kVerifyNone[] = "none";                 // verify
inline constexpr char kVerifyDeep[] = "deep";
inline constexpr char kRetain[] = "Retain";  // cleanPolicy
inline constexpr char kOnFailure[] = "OnFailure";
inline constexpr char kDelete[] = "Delete";
}  // namespace brix::api::value
