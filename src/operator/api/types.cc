#include "operator/api/types.h"

namespace brix::api {

namespace {

namespace f = field;

// The member `key` of `obj` when it is present and not null.
const Json* Member(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// Spec fields: the schema fixed their types, so a mismatch throws (turned into
// InvalidArgument by Parse()).
template <typename T>
void Get(const Json& obj, const char* key, T* out) {
  if (const Json* v = Member(obj, key)) *out = v->get<T>();
}

template <typename T>
void Get(const Json& obj, const char* key, std::optional<T>* out) {
  if (const Json* v = Member(obj, key)) *out = v->get<T>();
}

const Json& Section(const Json& object, const char* key) {
  static const Json kEmpty = Json::object();
  const Json* v = Member(object, key);
  return v != nullptr && v->is_object() ? *v : kEmpty;
}

ObjectMeta ParseMeta(const Json& object) {
  const Json& m = Section(object, f::kMetadata);
  ObjectMeta meta;
  Get(m, "name", &meta.name);
  Get(m, "namespace", &meta.ns);
  Get(m, "uid", &meta.uid);
  Get(m, "creationTimestamp", &meta.creation_timestamp);
  meta.deleting = Member(m, "deletionTimestamp") != nullptr;
  Get(m, "finalizers", &meta.finalizers);
  return meta;
}

StorageProvider ParseStorage(const Json& holder) {
  StorageProvider s;
  if (const Json* az = Member(holder, f::kAzblob); az != nullptr && az->is_object()) {
    AzblobStorage a;
    Get(*az, f::kSecretName, &a.secret_name);
    Get(*az, f::kContainer, &a.container);
    Get(*az, f::kPrefix, &a.prefix);
    Get(*az, f::kAccessTier, &a.access_tier);
    Get(*az, f::kStorageAccount, &a.storage_account);
    Get(*az, f::kSasToken, &a.sas_token);
    s.azblob = std::move(a);
  }
  s.s3 = Member(holder, f::kS3) != nullptr;
  s.gcs = Member(holder, f::kGcs) != nullptr;
  s.local = Member(holder, f::kLocal) != nullptr;
  return s;
}

BrConfig ParseBr(const Json& spec) {
  const Json& br = Section(spec, f::kBr);
  BrConfig b;
  Get(br, f::kCluster, &b.cluster);
  Get(br, f::kClusterNamespace, &b.cluster_namespace);
  Get(br, f::kDb, &b.db);
  Get(br, f::kTable, &b.table);
  Get(br, f::kTimeAgo, &b.time_ago);
  Get(br, f::kConcurrency, &b.concurrency);
  Get(br, f::kRateLimit, &b.rate_limit);
  Get(br, f::kChecksum, &b.checksum);
  Get(br, f::kSendCredToTikv, &b.send_cred_to_tikv);
  Get(br, f::kOptions, &b.options);
  return b;
}

}  // namespace

std::optional<EncryptionSpec> EncryptionOf(const Json& spec) {
  const Json& e = Section(spec, f::kEncryption);
  const Json* name = Member(e, f::kSecretName);
  if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
    return std::nullopt;
  }
  return EncryptionSpec{name->get<std::string>()};
}

namespace {

BackupSpec ParseBackupSpecOrThrow(const Json& spec) {
  BackupSpec s;
  s.storage = ParseStorage(spec);
  s.br = ParseBr(spec);
  Get(spec, f::kBackupType, &s.backup_type);
  Get(spec, f::kBackupMode, &s.backup_mode);
  Get(spec, f::kTableFilter, &s.table_filter);
  Get(spec, f::kCleanPolicy, &s.clean_policy);
  Get(spec, f::kCommitTs, &s.commit_ts);
  Get(spec, f::kLogSubcommand, &s.log_subcommand);
  Get(spec, f::kLogTruncateUntil, &s.log_truncate_until);
  Get(spec, f::kLogStop, &s.log_stop);
  Get(spec, f::kVerify, &s.verify);
  const Json& policy = Section(spec, f::kBackoffRetryPolicy);
  Get(policy, f::kMinRetryDuration, &s.backoff_retry_policy.min_retry_duration);
  Get(policy, f::kMaxRetryTimes, &s.backoff_retry_policy.max_retry_times);
  Get(policy, f::kRetryTimeout, &s.backoff_retry_policy.retry_timeout);
  return s;
}

BackupStatus ParseBackupStatus(const Json& st) {
  BackupStatus s;
  s.phase = StringField(st, f::kPhase);
  s.commit_ts = StringField(st, f::kCommitTs);
  s.backup_path = StringField(st, f::kBackupPath);
  s.backup_run_id = StringField(st, f::kBackupRunId);
  s.log_checkpoint_ts = StringField(st, f::kLogCheckpointTs);
  s.log_success_truncate_until = StringField(st, f::kLogSuccessTruncateUntil);
  s.log_flush_error = StringField(st, f::kLogFlushError);
  if (const Json* list = Member(st, f::kBackoffRetryStatus); list && list->is_array()) {
    for (const Json& r : *list) {
      s.backoff_retry_status.push_back({StringField(r, f::kDetectFailedAt),
                                        StringField(r, f::kExpectedRetryAt),
                                        StringField(r, f::kRealRetryAt)});
    }
  }
  if (const Json* subs = Member(st, f::kLogSubCommandStatuses); subs && subs->is_object()) {
    for (const auto& [command, sub] : subs->items()) {
      s.log_sub_command_statuses[command] = {StringField(sub, f::kPhase),
                                             StringField(sub, f::kLogTruncatingUntil)};
    }
  }
  return s;
}

// Runs `parse` and turns a JSON type mismatch into InvalidArgument naming the object.
template <typename T, typename F>
Result<T> Parse(const Json& object, const char* kind, F parse) {
  try {
    return parse();
  } catch (const Json::exception& e) {
    const Json& m = Section(object, f::kMetadata);
    std::string name = m.contains("name") && m["name"].is_string() ? m["name"].get<std::string>()
                                                                   : std::string("?");
    return Status::InvalidArgument(std::string(kind) + " " + name +
                                   ": a field has the wrong type: " + e.what());
  }
}

template <typename CR, typename SpecFn, typename StatusFn>
Result<CR> ParseCr(const Json& object, const char* kind, SpecFn spec, StatusFn status) {
  return Parse<CR>(object, kind, [&] {
    CR cr;
    cr.metadata = ParseMeta(object);
    cr.spec = spec(Section(object, f::kSpec));
    cr.status = status(Section(object, f::kStatus));
    cr.object = object;
    return cr;
  });
}

}  // namespace

std::string StringField(const Json& object, const char* key) {
  const Json* v = Member(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

bool ObjectMeta::HasFinalizer(const std::string& f) const {
  for (const auto& x : finalizers) {
    if (x == f) return true;
  }
  return false;
}

std::string BackupStatus::LogSubPhase(const std::string& command) const {
  auto it = log_sub_command_statuses.find(command);
  return it == log_sub_command_statuses.end() ? "" : it->second.phase;
}

Result<BackupSpec> ParseBackupSpec(const Json& spec) {
  return Parse<BackupSpec>(spec, "Backup spec", [&] { return ParseBackupSpecOrThrow(spec); });
}

Result<StorageProvider> ParseStorageProvider(const Json& holder) {
  return Parse<StorageProvider>(holder, "storage", [&] { return ParseStorage(holder); });
}

Result<Backup> ParseBackup(const Json& object) {
  return ParseCr<Backup>(object, "Backup", ParseBackupSpecOrThrow, ParseBackupStatus);
}

Result<Restore> ParseRestore(const Json& object) {
  return ParseCr<Restore>(
      object, "Restore",
      [](const Json& spec) {
        RestoreSpec s;
        s.storage = ParseStorage(spec);
        s.br = ParseBr(spec);
        Get(spec, f::kRestoreMode, &s.restore_mode);
        Get(spec, f::kPitrRestoredTs, &s.pitr_restored_ts);
        Get(spec, f::kLogRestoreStartTs, &s.log_restore_start_ts);
        if (const Json* full = Member(spec, f::kPitrFullBackupStorageProvider)) {
          s.pitr_full_backup_storage = ParseStorage(*full);
        }
        Get(spec, f::kTableFilter, &s.table_filter);
        Get(spec, f::kBackupType, &s.backup_type);
        Get(spec, f::kBackoffLimit, &s.backoff_limit);
        Get(spec, f::kDryRun, &s.dry_run);
        return s;
      },
      [](const Json& st) { return RestoreStatus{StringField(st, f::kPhase)}; });
}

Result<CompactBackup> ParseCompactBackup(const Json& object) {
  return ParseCr<CompactBackup>(
      object, "CompactBackup",
      [](const Json& spec) {
        CompactSpec s;
        s.storage = ParseStorage(spec);
        s.br = ParseBr(spec);
        Get(spec, f::kStartTs, &s.start_ts);
        Get(spec, f::kEndTs, &s.end_ts);
        Get(spec, f::kConcurrency, &s.concurrency);
        Get(spec, f::kMaxRetryTimes, &s.max_retry_times);
        return s;
      },
      [](const Json& st) {
        CompactStatus s;
        s.state = StringField(st, f::kState);
        s.end_ts = StringField(st, f::kEndTs);
        if (const Json* list = Member(st, f::kBackoffRetryStatus); list && list->is_array()) {
          s.backoff_retries = list->size();
        }
        return s;
      });
}

Json NextCompact::ToJson() const {
  Json j = Json::object();
  if (!start_ts.empty()) j[f::kStartTs] = start_ts;
  if (!not_before.empty()) j[f::kNotBefore] = not_before;
  if (!waiting_for.empty()) j[f::kWaitingFor] = waiting_for;
  return j;
}

Result<BackupSchedule> ParseBackupSchedule(const Json& object) {
  return ParseCr<BackupSchedule>(
      object, "BackupSchedule",
      [](const Json& spec) {
        ScheduleSpec s;
        Get(spec, f::kSchedule, &s.schedule);
        Get(spec, f::kPause, &s.pause);
        Get(spec, f::kMaxBackups, &s.max_backups);
        Get(spec, f::kMaxReservedTime, &s.max_reserved_time);
        Get(spec, f::kCompactInterval, &s.compact_interval);
        Get(spec, f::kMinCompactStartTs, &s.min_compact_start_ts);
        if (const Json* t = Member(spec, f::kBackupTemplate)) s.backup_template = *t;
        if (const Json* t = Member(spec, f::kLogBackupTemplate)) s.log_backup_template = *t;
        if (const Json* t = Member(spec, f::kCompactBackupTemplate)) {
          s.compact_backup_template = *t;
        }
        return s;
      },
      [](const Json& st) {
        ScheduleStatus s;
        s.last_backup = StringField(st, f::kLastBackup);
        s.last_backup_time = StringField(st, f::kLastBackupTime);
        s.all_backup_clean_time = StringField(st, f::kAllBackupCleanTime);
        s.log_backup = StringField(st, f::kLogBackup);
        s.log_backup_start_ts = StringField(st, f::kLogBackupStartTs);
        s.last_compact = StringField(st, f::kLastCompact);
        s.last_compact_progress = StringField(st, f::kLastCompactProgress);
        s.last_compact_execution_ts = StringField(st, f::kLastCompactExecutionTs);
        if (const Json* next = Member(st, f::kNextCompact); next && next->is_object()) {
          s.next_compact.start_ts = StringField(*next, f::kStartTs);
          s.next_compact.not_before = StringField(*next, f::kNotBefore);
          s.next_compact.waiting_for = StringField(*next, f::kWaitingFor);
        }
        return s;
      });
}

}  // namespace brix::api
