// Typed, read-only views of the four backup CRs (Backup, Restore, CompactBackup,
// BackupSchedule): what the controllers and `brix manager` read from a CR, parsed once from its
// JSON. Field names come from fields.h, which the schema (resources.cc) uses too; defaults are
// the member initializers below, which the schema's defaults are built from.
//
// A view is never written back. Status changes stay read-modify-writes of the stored JSON
// (client::MutateStatus), so fields a view does not know (set by a user, a newer brix or
// kubectl) are never dropped; each view keeps that JSON as `object` for those writes, for
// owner references and for events.
//
// Parse* fails (InvalidArgument naming the CR) only when a field has the wrong JSON type, which
// the API server's schema check already refuses at admission.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "operator/api/fields.h"

namespace brix::api {

using Json = nlohmann::json;

// The string at `key` of a JSON object; "" when `object` is not an object, lacks the key or holds
// anything but a string there. For fields only brix writes (status) and lookups where absent and
// malformed mean the same (RBAC rules, annotations).
std::string StringField(const Json& object, const char* key);

struct ObjectMeta {
  std::string name, ns, uid;
  std::string creation_timestamp;  // RFC 3339, "" when unset
  bool deleting = false;           // deletionTimestamp is set
  std::vector<std::string> finalizers;
  bool HasFinalizer(const std::string& f) const;
};

struct AzblobStorage {
  std::string secret_name, container, prefix, access_tier, storage_account;
  std::string sas_token;  // a credential when set: never log it
};

// The StorageProvider a spec inlines; only Azure Blob is read, the others are only noticed.
struct StorageProvider {
  std::optional<AzblobStorage> azblob;
  bool s3 = false, gcs = false, local = false;
};

// spec.encryption: the Secret (in the CR's namespace) whose key BRIX_ENCRYPTION_KEY holds the
// master key, 64 hex digits (docs/encryption.md). Every job of the CR gets it as environment.
struct EncryptionSpec {
  std::string secret_name;
};

// spec.encryption of a Backup, Restore or CompactBackup `spec`; nullopt when absent or without a
// secretName (the schema requires one).
std::optional<EncryptionSpec> EncryptionOf(const Json& spec);

struct BrConfig {
  std::string cluster, cluster_namespace, db, table, time_ago;
  std::optional<int> concurrency;
  std::optional<double> rate_limit;  // MiB/s
  std::optional<bool> checksum, send_cred_to_tikv;
  std::vector<std::string> options;  // "--flag=value" or "--flag", "value"
};

struct BackoffRetryPolicy {
  std::string min_retry_duration = "300s";
  int max_retry_times = 2;
  std::string retry_timeout = "30m";
};

struct BackupSpec {
  StorageProvider storage;
  BrConfig br;
  std::string backup_type = value::kFull;
  std::string backup_mode = value::kSnapshot;
  std::vector<std::string> table_filter;
  std::string clean_policy = value::kRetain;
  std::string commit_ts, log_subcommand, log_truncate_until;
  bool log_stop = false;
  std::string verify = value::kVerifyNone;  // spec.verify: deep = validate --deep after it
  BackoffRetryPolicy backoff_retry_policy;
  bool IsLogMode() const { return backup_mode == value::kLog; }
};

struct BackoffRetryRecord {
  std::string detect_failed_at, expected_retry_at, real_retry_at;
};

struct LogSubCommandStatus {
  std::string phase, log_truncating_until;
};

struct BackupStatus {
  std::string phase, commit_ts, backup_path, backup_run_id;
  std::string log_checkpoint_ts, log_success_truncate_until, log_flush_error;
  std::vector<BackoffRetryRecord> backoff_retry_status;
  std::map<std::string, LogSubCommandStatus> log_sub_command_statuses;
  // The phase of logSubCommandStatuses[command] ("" when absent).
  std::string LogSubPhase(const std::string& command) const;
};

struct RestoreSpec {
  StorageProvider storage;
  BrConfig br;
  std::string restore_mode = value::kSnapshot;
  std::string pitr_restored_ts, log_restore_start_ts;
  std::optional<StorageProvider> pitr_full_backup_storage;
  std::vector<std::string> table_filter;
  std::string backup_type = value::kFull;
  int backoff_limit = 0;
  bool dry_run = false;  // spec.dryRun: write the plan into status.plan, restore nothing
};

struct RestoreStatus {
  std::string phase;
};

struct CompactSpec {
  StorageProvider storage;
  BrConfig br;
  std::string start_ts, end_ts;
  int concurrency = 4;
  int max_retry_times = 6;
};

struct CompactStatus {
  std::string state, end_ts;
  size_t backoff_retries = 0;  // records in backoffRetryStatus
};

// The templates stay JSON: they are copied into the CRs the schedule creates, whole, with
// every field the user set; only the parts the schedule itself reads are typed.
struct ScheduleSpec {
  std::string schedule;
  bool pause = false;
  int max_backups = 0;
  std::string max_reserved_time, compact_interval, min_compact_start_ts;
  Json backup_template;  // null when absent
  std::optional<Json> log_backup_template;
  std::optional<Json> compact_backup_template;
};

// status.nextCompact: what the schedule compacts next (docs/controllers.md, "BackupSchedule").
struct NextCompact {
  std::string start_ts;     // where the next window starts, UTC "yyyy-mm-dd hh:mm:ss"; "" unknown
  std::string not_before;   // RFC 3339: the next CompactBackup is not created before this
  std::string waiting_for;  // what it waits for besides the time; "" when nothing
  Json ToJson() const;
};

struct ScheduleStatus {
  std::string last_backup, last_backup_time, all_backup_clean_time;
  std::string log_backup, log_backup_start_ts;
  std::string last_compact, last_compact_progress, last_compact_execution_ts;
  NextCompact next_compact;
};

template <typename Spec, typename StatusT>
struct CustomResource {
  ObjectMeta metadata;
  Spec spec;
  StatusT status;
  Json object;  // as read: for status read-modify-writes, owner references and events
};
using Backup = CustomResource<BackupSpec, BackupStatus>;
using Restore = CustomResource<RestoreSpec, RestoreStatus>;
using CompactBackup = CustomResource<CompactSpec, CompactStatus>;
using BackupSchedule = CustomResource<ScheduleSpec, ScheduleStatus>;

[[nodiscard]] Result<Backup> ParseBackup(const Json& object);
[[nodiscard]] Result<Restore> ParseRestore(const Json& object);
[[nodiscard]] Result<CompactBackup> ParseCompactBackup(const Json& object);
[[nodiscard]] Result<BackupSchedule> ParseBackupSchedule(const Json& object);
// A spec (or a template, or pitrFullBackupStorageProvider) on its own.
[[nodiscard]] Result<BackupSpec> ParseBackupSpec(const Json& spec);
[[nodiscard]] Result<StorageProvider> ParseStorageProvider(const Json& holder);

}  // namespace brix::api
