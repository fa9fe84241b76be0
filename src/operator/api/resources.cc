#include "operator/api/resources.h"

#include "common/time_util.h"
#include "common/tso.h"
#include "operator/api/backup_status.h"
#include "operator/api/job_kind.h"
#include "operator/api/types.h"

namespace brix::api {

namespace {

using S = Schema;
namespace F = field;
namespace V = value;

SchemaPtr WithDefault(SchemaPtr s, Json value) {
  s->default_value = std::move(value);
  return s;
}

SchemaPtr WithRequired(SchemaPtr s, std::vector<std::string> required) {
  s->required = std::move(required);
  return s;
}

SchemaPtr Strings() { return S::Array(S::String()); }
SchemaPtr Opaques() { return S::Array(S::OpaqueObject()); }

SchemaPtr AzblobSchema() {
  return S::Object({
      {F::kSecretName, S::String()},
      {F::kContainer, S::String()},
      {F::kPrefix, S::String()},
      // Unset means Cool, as TiDB Operator documents (it fills AZURE_ACCESS_TIER=Cool); defaulted
      // here so the tier every upload uses is visible on the object.
      {F::kAccessTier, WithDefault(S::Enum({"Hot", V::kCool, "Archive"}), V::kCool)},
      {F::kStorageAccount, S::String()},
      {F::kSasToken, S::String()},
      {"path", S::String()},
  });
}

// br.logLevel: BR's levels, any case (the job logs at JobLogLevel of it).
void KnownLogLevel(const Json& value, const std::string& path, std::vector<FieldError>* errors) {
  auto it = value.find(F::kLogLevel);
  if (it == value.end() || !it->is_string()) return;
  if (!JobLogLevel(it->get<std::string>()).empty()) return;
  errors->push_back({FieldError::Type::kNotSupported, path + "." + F::kLogLevel, *it,
                     "\"debug\", \"info\", \"warn\", \"error\", \"fatal\""});
}

// backupMode / restoreMode volume-snapshot: TiDB Operator's disk-snapshot mode, which brix does
// not implement. Refused (never run as a BR snapshot) with the values brix takes.
SchemaRule NoVolumeSnapshot(const char* field, std::vector<std::string> accepted) {
  return [field, accepted](const Json& value, const std::string& path,
                           std::vector<FieldError>* errors) {
    auto it = value.find(field);
    if (it == value.end() || *it != V::kVolumeSnapshot) return;
    std::string list;
    for (const auto& a : accepted) list += (list.empty() ? "" : ", ") + Json(a).dump();
    errors->push_back({FieldError::Type::kNotSupported, path + "." + field, *it,
                       list + " (volume-snapshot backs up TiKV's disk volumes with cloud "
                              "snapshots; brix does not implement it)"});
  };
}

SchemaPtr BrSchema() {
  auto br = WithRequired(S::Object({
                             {F::kCluster, S::String()},
                             {F::kClusterNamespace, S::String()},
                             {F::kDb, S::String()},
                             {F::kTable, S::String()},
                             {F::kLogLevel, S::String()},
                             {"statusAddr", S::String()},
                             {F::kConcurrency, S::Integer()},
                             {F::kRateLimit, S::Integer()},
                             {F::kTimeAgo, S::Duration()},
                             {F::kChecksum, S::Boolean()},
                             {"checkRequirements", S::Boolean()},
                             {F::kSendCredToTikv, S::Boolean()},
                             {"onLine", S::Boolean()},
                             {F::kOptions, Strings()},
                         }),
                         {"cluster"});
  br->rules.push_back(KnownLogLevel);
  return br;
}

SchemaPtr TidbAccessSchema() {
  return WithRequired(S::Object({
                          {"host", S::String()},
                          {"port", S::Integer()},
                          {"user", S::String()},
                          {F::kSecretName, S::String()},
                          {"tlsClientSecretName", S::String()},
                      }),
                      {"host", "secretName"});
}

// The storage members that StorageProvider inlines into a spec. Only Azure Blob is implemented
// by brix; the others are accepted as written so that manifests for them are not refused here.
void AddStorage(std::map<std::string, SchemaPtr>* props) {
  (*props)[F::kAzblob] = AzblobSchema();
  (*props)[F::kS3] = S::OpaqueObject();
  (*props)[F::kGcs] = S::OpaqueObject();
  (*props)[F::kLocal] = S::OpaqueObject();
}

// Pod-level fields shared by Backup, Restore and CompactBackup specs.
void AddPodFields(std::map<std::string, SchemaPtr>* props) {
  for (const char* name : {"resources", "affinity", "podSecurityContext"}) {
    (*props)[name] = S::OpaqueObject();
  }
  for (const char* name :
       {"env", "tolerations", "imagePullSecrets", "additionalVolumes", "additionalVolumeMounts"}) {
    (*props)[name] = Opaques();
  }
  for (const char* name : {"serviceAccount", "priorityClassName", "toolImage"}) {
    (*props)[name] = S::String();
  }
  (*props)["useKMS"] = S::Boolean();
  (*props)["automountServiceAccountToken"] = S::Boolean();
}

// spec.encryption (brix; docs/encryption.md): the Secret holding the master key.
void AddEncryption(std::map<std::string, SchemaPtr>* props) {
  (*props)[F::kEncryption] =
      WithRequired(S::Object({{F::kSecretName, S::String()}}), {F::kSecretName});
}

// A storage block is what every BR job reads or writes; without one the CR can never run.
void RequireStorage(const Json& value, const std::string& path, std::vector<FieldError>* errors) {
  for (const char* name : {F::kAzblob, "s3", "gcs", "local"}) {
    if (value.contains(name)) return;
  }
  errors->push_back({FieldError::Type::kRequired, path + "." + F::kAzblob, nullptr,
                     "a storage location is required (azblob; s3, gcs and local are the other "
                     "storage members)"});
}

void LogStopExclusive(const Json& value, const std::string& path, std::vector<FieldError>* errors) {
  if (value.contains(F::kLogStop) && value.contains(F::kLogSubcommand)) {
    errors->push_back({FieldError::Type::kForbidden, path + "." + F::kLogStop, nullptr,
                       "logStop is the old way to stop a log backup and cannot be set together "
                       "with logSubcommand; use logSubcommand: log-stop instead"});
  }
}

// spec.verify: deep checks one finished snapshot backup; a log backup never finishes.
void VerifySnapshotOnly(const Json& value, const std::string& path,
                        std::vector<FieldError>* errors) {
  auto it = value.find(F::kVerify);
  if (it != value.end() && *it == V::kVerifyDeep && value.value(F::kBackupMode, "") == V::kLog) {
    errors->push_back({FieldError::Type::kForbidden, path + "." + F::kVerify, *it,
                       "verify: deep checks a snapshot backup once it completes; a log backup "
                       "never completes — validate it with brix validate --deep --log-storage"});
  }
}

void PositiveConcurrency(const Json& value, const std::string& path,
                         std::vector<FieldError>* errors) {
  auto it = value.find(F::kConcurrency);
  if (it != value.end() && it->is_number_integer() && it->get<int64_t>() <= 0) {
    errors->push_back(
        {FieldError::Type::kInvalid, path + "." + F::kConcurrency, *it, "must be greater than 0"});
  }
}

SchemaPtr MakeBackupSpec() {
  std::map<std::string, SchemaPtr> p;
  AddPodFields(&p);
  AddStorage(&p);
  AddEncryption(&p);
  p["from"] = TidbAccessSchema();
  p[F::kBackupType] = S::Enum({V::kFull, V::kDb, V::kTable});
  p[F::kBackupMode] =
      WithDefault(S::Enum({V::kSnapshot, V::kLog, V::kVolumeSnapshot}), BackupSpec{}.backup_mode);
  p["tikvGCLifeTime"] = S::Duration();
  p["storageClassName"] = S::String();
  p["volumeAttributesClassName"] = S::String();
  p["storageSize"] = S::String();
  p[F::kBr] = BrSchema();
  p[F::kCommitTs] = S::Timestamp();
  p[F::kLogSubcommand] = S::Enum({logcmd::kStart, logcmd::kStop, logcmd::kPause});
  p[F::kLogTruncateUntil] = S::Timestamp();
  p[F::kLogStop] = S::Boolean();
  p[F::kVerify] = S::Enum({V::kVerifyNone, V::kVerifyDeep});  // brix (docs/validate.md)
  p["calcSizeLevel"] = S::String();
  p["federalVolumeBackupPhase"] = S::String();
  p["resumeGcSchedule"] = S::Boolean();
  p["volumeBackupInitJobMaxActiveSeconds"] = S::Integer();
  p["dumpling"] = S::Object({{F::kOptions, Strings()}, {F::kTableFilter, Strings()}});
  p[F::kTableFilter] = Strings();
  p[F::kCleanPolicy] = S::Enum({V::kRetain, V::kOnFailure, V::kDelete});
  p["cleanOption"] = S::Object({
      {"pageSize", S::Integer()},
      {"retryCount", S::Integer()},
      {"backoffEnabled", S::Boolean()},
      {"disableBatchConcurrency", S::Boolean()},
      {"batchConcurrency", S::Integer()},
      {"routineConcurrency", S::Integer()},
      {"snapshotsDeleteRatio", S::Number()},
  });
  p[F::kBackoffRetryPolicy] = S::Object({
      {F::kMinRetryDuration, WithDefault(S::Duration(), BackoffRetryPolicy{}.min_retry_duration)},
      {F::kMaxRetryTimes, WithDefault(S::Integer(), BackoffRetryPolicy{}.max_retry_times)},
      {F::kRetryTimeout, WithDefault(S::Duration(), BackoffRetryPolicy{}.retry_timeout)},
  });
  auto spec = WithRequired(S::Object(std::move(p)), {"br"});
  spec->rules.push_back(RequireStorage);
  spec->rules.push_back(LogStopExclusive);
  spec->rules.push_back(VerifySnapshotOnly);
  spec->rules.push_back(NoVolumeSnapshot(F::kBackupMode, {V::kSnapshot, V::kLog}));
  return spec;
}

SchemaPtr MakeCompactSpec() {
  std::map<std::string, SchemaPtr> p;
  AddPodFields(&p);
  AddStorage(&p);
  AddEncryption(&p);
  p["mode"] = S::Enum({"", "sharded"});
  p["shardCount"] = S::Integer();
  p["physicalFileCacheCapacity"] = S::String();
  p["name"] = S::String();
  p[F::kStartTs] = S::Timestamp();
  p[F::kEndTs] = S::Timestamp();
  p[F::kConcurrency] = WithDefault(S::Integer(), CompactSpec{}.concurrency);
  p["tikvImage"] = S::String();
  p[F::kBr] = BrSchema();
  p[F::kMaxRetryTimes] = WithDefault(S::Integer(), CompactSpec{}.max_retry_times);
  auto spec = WithRequired(S::Object(std::move(p)), {"br"});
  spec->rules.push_back(RequireStorage);
  spec->rules.push_back(PositiveConcurrency);
  return spec;
}

SchemaPtr MakeRestoreSpec() {
  std::map<std::string, SchemaPtr> p;
  AddPodFields(&p);
  AddStorage(&p);
  AddEncryption(&p);
  p["to"] = TidbAccessSchema();
  p[F::kBackupType] = S::Enum({V::kFull, V::kDb, V::kTable});
  p[F::kRestoreMode] = WithDefault(S::Enum({V::kSnapshot, V::kPitr, V::kVolumeSnapshot}),
                                   RestoreSpec{}.restore_mode);
  p[F::kPitrRestoredTs] = S::Timestamp();
  std::map<std::string, SchemaPtr> full_storage;
  AddStorage(&full_storage);
  p[F::kPitrFullBackupStorageProvider] = S::Object(std::move(full_storage));
  p[F::kLogRestoreStartTs] = S::Timestamp();
  p["prune"] = S::Enum({"afterFailed"});
  p["tikvGCLifeTime"] = S::Duration();
  p["storageClassName"] = S::String();
  p["volumeAttributesClassName"] = S::String();
  p["storageSize"] = S::String();
  p[F::kBr] = BrSchema();
  p[F::kTableFilter] = Strings();
  for (const char* name :
       {"warmup", "warmupImage", "warmupStrategy", "volumeAZ", "federalVolumeRestorePhase"}) {
    p[name] = S::String();
  }
  p["tolerateSingleTiKVOutage"] = S::Boolean();
  p[F::kBackoffLimit] = S::Integer();
  p[F::kDryRun] = S::Boolean();  // brix: the plan and its estimate only (docs/backup.md)
  p["replicationConfig"] =
      WithRequired(S::Object({{"compactBackupName", S::String()}, {"waitTimeout", S::Duration()}}),
                   {"compactBackupName"});
  auto spec = WithRequired(S::Object(std::move(p)), {"br"});
  spec->rules.push_back(RequireStorage);
  spec->rules.push_back(NoVolumeSnapshot(F::kRestoreMode, {V::kSnapshot, V::kPitr}));
  return spec;
}

SchemaPtr MakeScheduleSpec() {
  std::map<std::string, SchemaPtr> p;
  AddStorage(&p);
  p[F::kSchedule] = S::Cron();
  p[F::kPause] = S::Boolean();
  p[F::kMaxBackups] = S::Integer();
  p[F::kMaxReservedTime] = S::Duration();
  p[F::kCompactInterval] = S::Duration();
  p[F::kBackupTemplate] = BackupSpecSchema();
  p[F::kLogBackupTemplate] = BackupSpecSchema();
  p[F::kCompactBackupTemplate] = CompactSpecSchema();
  p[F::kMinCompactStartTs] = S::Timestamp();
  p["storageClassName"] = S::String();
  p["volumeAttributesClassName"] = S::String();
  p["storageSize"] = S::String();
  p["imagePullSecrets"] = Opaques();
  p[F::kBr] = BrSchema();
  return WithRequired(S::Object(std::move(p)), {F::kSchedule, "backupTemplate"});
}

SchemaPtr ObjectSchema(SchemaPtr spec) {
  return WithRequired(S::Object({
                          {"apiVersion", S::String()},
                          {"kind", S::String()},
                          {F::kMetadata, S::OpaqueObject()},
                          {F::kSpec, std::move(spec)},
                          {F::kStatus, S::OpaqueObject()},
                      }),
                      {"spec"});
}

PrinterColumn Col(std::string name, std::string type, std::string path, int priority = 0) {
  return PrinterColumn{std::move(name), std::move(type), std::move(path), priority, "", nullptr};
}

PrinterColumn Computed(std::string name, std::string type, int priority,
                       std::function<Json(const Json&)> f) {
  return PrinterColumn{std::move(name), std::move(type), "", priority, "", std::move(f)};
}

PrinterColumn Age() { return Col("Age", "date", ".metadata.creationTimestamp"); }

// A log Backup's RPO: seconds from status.logCheckpointTs to now, computed when the table is
// read rather than stored: the controller refreshes the checkpoint (TrackCheckpoint), and a
// computed lag keeps growing while the checkpoint stalls, which is when it matters. Empty for
// a stopped task (its log is final) and without a checkpoint.
PrinterColumn CheckpointLag() {
  return Computed("LagSeconds", "integer", 1, [](const Json& b) -> Json {
    const Json* st = b.contains("status") ? &b["status"] : nullptr;
    if (st == nullptr || !st->is_object() || !st->contains(F::kLogCheckpointTs) ||
        st->value(F::kPhase, "") == cond::kStopped) {
      return nullptr;
    }
    const Json& v = (*st)[F::kLogCheckpointTs];
    if (!v.is_string()) return nullptr;
    uint64_t ts = 0;
    try {
      ts = std::stoull(v.get<std::string>());
    } catch (const std::exception&) {
      return nullptr;
    }
    int64_t lag_ms = UnixMillis() - static_cast<int64_t>(TsPhysicalMs(ts));
    return Json(std::max<int64_t>(0, lag_ms / 1000));
  });
}

bool HasTrueCondition(const Json& job, const char* type) {
  const Json* conditions = nullptr;
  if (job.contains("status") && job["status"].contains("conditions")) {
    conditions = &job["status"]["conditions"];
  }
  if (conditions == nullptr || !conditions->is_array()) return false;
  for (const auto& c : *conditions) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

int64_t IntAt(const Json& obj, const char* a, const char* b, int64_t fallback) {
  if (obj.contains(a) && obj[a].is_object() && obj[a].contains(b) &&
      obj[a][b].is_number_integer()) {
    return obj[a][b].get<int64_t>();
  }
  return fallback;
}

// The `field` of every container of a pod template (a Job's or a Deployment's), joined by ",".
Json ContainersCell(const Json& object, const char* field) {
  std::string out;
  try {
    for (const auto& c : object.at("spec").at("template").at("spec").at("containers")) {
      // Two appends, not `(... ? "" : ",") + c.value(...)`: GCC 12 at -O3 reports a false
      // -Wrestrict inside libstdc++'s operator+(const char*, string&&) (GCC bug 105651).
      if (!out.empty()) out += ",";
      out += c.value(field, "");
    }
  } catch (const Json::exception&) {
  }
  return Json(out);
}

// "k=v,k2=v2" of spec.selector.matchLabels.
Json SelectorCell(const Json& object) {
  std::string out;
  try {
    for (const auto& [k, v] : object.at("spec").at("selector").at("matchLabels").items()) {
      out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    }
  } catch (const Json::exception&) {
  }
  return out;
}

// The columns `kubectl get jobs` shows (kubectl 1.32's built-in printer).
std::vector<PrinterColumn> JobColumns() {
  auto containers = [](const Json& job, const char* field) { return ContainersCell(job, field); };
  return {
      Computed("Status", "string", 0,
               [](const Json& job) -> Json {
                 for (const char* t : {"Complete", "Failed", "Suspended", "FailureTarget"}) {
                   if (HasTrueCondition(job, t)) return t;
                 }
                 return "Running";
               }),
      Computed("Completions", "string", 0,
               [](const Json& job) -> Json {
                 int64_t succeeded = IntAt(job, "status", "succeeded", 0);
                 int64_t completions = IntAt(job, "spec", "completions", -1);
                 int64_t parallelism = IntAt(job, "spec", "parallelism", 1);
                 if (completions >= 0) {
                   return std::to_string(succeeded) + "/" + std::to_string(completions);
                 }
                 if (parallelism > 1) {
                   return std::to_string(succeeded) + "/1 of " + std::to_string(parallelism);
                 }
                 return std::to_string(succeeded) + "/1";
               }),
      // Filled in by the table printer, which knows the current time.
      Col("Duration", "duration", ""),
      Age(),
      Computed("Containers", "string", 1,
               [containers](const Json& job) { return containers(job, "name"); }),
      Computed("Images", "string", 1,
               [containers](const Json& job) { return containers(job, "image"); }),
      Computed("Selector", "string", 1, SelectorCell),
  };
}

// A built-in (non-CR) kind: names, whether it serves /status, its columns.
ResourceInfo Builtin(std::string group, std::string version, std::string plural,
                     std::string singular, std::string kind, std::vector<std::string> short_names,
                     bool has_status, std::vector<PrinterColumn> columns) {
  ResourceInfo info;
  info.group = std::move(group);
  info.version = std::move(version);
  info.plural = std::move(plural);
  info.singular = std::move(singular);
  info.kind = std::move(kind);
  info.short_names = std::move(short_names);
  info.has_status = has_status;
  info.columns = std::move(columns);
  return info;
}

// What deploy/ applies besides the CRDs (docs/brixd.md, "CustomResourceDefinitions and
// deploy/"): core/v1 Namespace (cluster-scoped) and apps/v1 Deployment, which brixd stores as
// written and never runs (its job runner runs Jobs only; registry.cc sets its status to say so).
void AddDeployKinds(std::vector<ResourceInfo>* r) {
  r->push_back(Builtin("", "v1", "namespaces", "namespace", "Namespace", {"ns"}, true,
                       {Col("Status", "string", ".status.phase"), Age()}));
  r->back().namespaced = false;
  // kubectl 1.32's built-in printer: READY UP-TO-DATE AVAILABLE AGE, -o wide adds the rest.
  r->push_back(Builtin(
      "apps", "v1", "deployments", "deployment", "Deployment", {"deploy"}, true,
      {
          Computed("Ready", "string", 0,
                   [](const Json& d) -> Json {
                     return std::to_string(IntAt(d, "status", "readyReplicas", 0)) + "/" +
                            std::to_string(IntAt(d, "spec", "replicas", 1));
                   }),
          Computed("Up-to-date", "integer", 0,
                   [](const Json& d) -> Json { return IntAt(d, "status", "updatedReplicas", 0); }),
          Computed(
              "Available", "integer", 0,
              [](const Json& d) -> Json { return IntAt(d, "status", "availableReplicas", 0); }),
          Age(),
          Computed("Containers", "string", 1,
                   [](const Json& d) { return ContainersCell(d, "name"); }),
          Computed("Images", "string", 1, [](const Json& d) { return ContainersCell(d, "image"); }),
          Computed("Selector", "string", 1, SelectorCell),
      }));
}

size_t CountOf(const Json& obj, const char* field) {
  auto it = obj.find(field);
  return it != obj.end() && (it->is_object() || it->is_array()) ? it->size() : 0;
}

std::vector<ResourceInfo> BuildResources() {
  std::vector<ResourceInfo> r;
  auto cr = [&](std::string plural, std::string singular, std::string kind, std::string short_name,
                SchemaPtr spec, std::vector<PrinterColumn> columns) {
    ResourceInfo info;
    info.group = kBrGroup;
    info.version = kBrVersion;
    info.plural = std::move(plural);
    info.singular = std::move(singular);
    info.kind = std::move(kind);
    info.short_names = {std::move(short_name)};
    info.has_status = true;
    info.custom = true;
    info.columns = std::move(columns);
    info.schema = ObjectSchema(std::move(spec));
    r.push_back(std::move(info));
  };
  cr("backups", "backup", "Backup", "bk", BackupSpecSchema(),
     {Col("Type", "string", ".spec.backupType"), Col("Mode", "string", ".spec.backupMode"),
      Col("Status", "string", ".status.phase"), Col("BackupPath", "string", ".status.backupPath"),
      Col("BackupSize", "string", ".status.backupSizeReadable"),
      Col("IncrementalBackupSize", "string", ".status.incrementalBackupSizeReadable", 10),
      Col("CommitTS", "string", ".status.commitTs"),
      Col("LogTruncateUntil", "string", ".status.logSuccessTruncateUntil"),
      Col("Started", "date", ".status.timeStarted", 1),
      Col("Completed", "date", ".status.timeCompleted", 1),
      Col("TimeTaken", "string", ".status.timeTaken"), CheckpointLag(), Age()});
  cr("backupschedules", "backupschedule", "BackupSchedule", "bks", MakeScheduleSpec(),
     {Col("Schedule", "string", ".spec.schedule"), Col("MaxBackups", "integer", ".spec.maxBackups"),
      Col("MaxReservedTime", "string", ".spec.maxReservedTime"),
      Col("LastBackup", "string", ".status.lastBackup", 1),
      Col("LastBackupTime", "date", ".status.lastBackupTime", 1), Age()});
  // The seed shows NAME STATUS PROGRESS MESSAGE; the 1.x CRD also has EndTs, kept for -o wide.
  cr("compactbackups", "compactbackup", "CompactBackup", "cpbk", CompactSpecSchema(),
     {Col("Status", "string", ".status.state"), Col("EndTs", "string", ".status.endTs", 1),
      Col("Progress", "string", ".status.progress"), Col("Message", "string", ".status.message")});
  cr("restores", "restore", "Restore", "rt", MakeRestoreSpec(),
     {Col("Status", "string", ".status.phase"), Col("Started", "date", ".status.timeStarted", 1),
      Col("Completed", "date", ".status.timeCompleted", 1),
      Col("TimeTaken", "string", ".status.timeTaken"),
      Col("CommitTS", "string", ".status.commitTs"), Age()});

  auto builtin = [&](std::string group, std::string version, std::string plural,
                     std::string singular, std::string kind, std::vector<std::string> short_names,
                     bool has_status, std::vector<PrinterColumn> columns) {
    r.push_back(Builtin(std::move(group), std::move(version), std::move(plural),
                        std::move(singular), std::move(kind), std::move(short_names), has_status,
                        std::move(columns)));
  };
  builtin("", "v1", "secrets", "secret", "Secret", {}, false,
          {Col("Type", "string", ".type"),
           Computed("Data", "integer", 0, [](const Json& s) { return Json(CountOf(s, "data")); }),
           Age()});
  builtin("", "v1", "events", "event", "Event", {"ev"}, false,
          {Col("Last Seen", "date", ".lastTimestamp"), Col("Type", "string", ".type"),
           Col("Reason", "string", ".reason"),
           Computed("Object", "string", 0,
                    [](const Json& e) -> Json {
                      if (!e.contains("involvedObject")) return "";
                      const Json& o = e["involvedObject"];
                      std::string kind = o.value("kind", "");
                      for (char& c : kind) c = static_cast<char>(std::tolower(c));
                      return kind + "/" + o.value("name", "");
                    }),
           Col("Message", "string", ".message")});
  builtin("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", {"sa"}, false,
          {Computed("Secrets", "integer", 0,
                    [](const Json& sa) { return Json(CountOf(sa, "secrets")); }),
           Age()});
  builtin("batch", "v1", "jobs", "job", "Job", {}, true, JobColumns());
  // `brix operator`'s leader election (operator/controller/leader_election.h).
  builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", {}, false,
          {Col("Holder", "string", ".spec.holderIdentity"), Age()});
  builtin("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", {}, false,
          {Col("Created At", "string", ".metadata.creationTimestamp")});
  builtin(
      "rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", {}, false,
      {Computed("Role", "string", 0,
                [](const Json& rb) -> Json {
                  if (!rb.contains("roleRef")) return "";
                  return rb["roleRef"].value("kind", "") + "/" + rb["roleRef"].value("name", "");
                }),
       Age()});
  // Cluster-scoped: /apis/rbac.authorization.k8s.io/v1/clusterroles/<name>.
  builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", {},
          false, {Col("Created At", "string", ".metadata.creationTimestamp")});
  r.back().namespaced = false;
  builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
          "ClusterRoleBinding", {}, false,
          {Computed("Role", "string", 0,
                    [](const Json& rb) -> Json {
                      if (!rb.contains("roleRef")) return "";
                      return rb["roleRef"].value("kind", "") + "/" +
                             rb["roleRef"].value("name", "");
                    }),
           Age()});
  r.back().namespaced = false;
  AddDeployKinds(&r);
  return r;
}

}  // namespace

SchemaPtr BackupSpecSchema() {
  static const SchemaPtr schema = MakeBackupSpec();
  return schema;
}

SchemaPtr CompactSpecSchema() {
  static const SchemaPtr schema = MakeCompactSpec();
  return schema;
}

const std::vector<ResourceInfo>& AllResources() {
  static const std::vector<ResourceInfo> resources = BuildResources();
  return resources;
}

const ResourceInfo* FindResource(const std::string& group, const std::string& version,
                                 const std::string& plural) {
  for (const auto& r : AllResources()) {
    if (r.group == group && r.version == version && r.plural == plural) return &r;
  }
  return nullptr;
}

}  // namespace brix::api
