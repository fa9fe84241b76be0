#include "operator/api/resources.h"

namespace brix::api {

namespace {

using S = Schema;

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
      {"secretName", S::String()},
      {"container", S::String()},
      {"prefix", S::String()},
      {"accessTier", S::Enum({"Hot", "Cool", "Archive"})},
      {"storageAccount", S::String()},
      {"sasToken", S::String()},
      {"path", S::String()},
  });
}

SchemaPtr BrSchema() {
  return WithRequired(S::Object({
                          {"cluster", S::String()},
                          {"clusterNamespace", S::String()},
                          {"db", S::String()},
                          {"table", S::String()},
                          {"logLevel", S::String()},
                          {"statusAddr", S::String()},
                          {"concurrency", S::Integer()},
                          {"rateLimit", S::Integer()},
                          {"timeAgo", S::Duration()},
                          {"checksum", S::Boolean()},
                          {"checkRequirements", S::Boolean()},
                          {"sendCredToTikv", S::Boolean()},
                          {"onLine", S::Boolean()},
                          {"options", Strings()},
                      }),
                      {"cluster"});
}

SchemaPtr TidbAccessSchema() {
  return WithRequired(S::Object({
                          {"host", S::String()},
                          {"port", S::Integer()},
                          {"user", S::String()},
                          {"secretName", S::String()},
                          {"tlsClientSecretName", S::String()},
                      }),
                      {"host", "secretName"});
}

// The storage members that StorageProvider inlines into a spec. Only Azure Blob is implemented
// by brix; the others are accepted as written so that manifests for them are not refused here.
void AddStorage(std::map<std::string, SchemaPtr>* props) {
  (*props)["azblob"] = AzblobSchema();
  (*props)["s3"] = S::OpaqueObject();
  (*props)["gcs"] = S::OpaqueObject();
  (*props)["local"] = S::OpaqueObject();
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

// A storage block is what every BR job reads or writes; without one the CR can never run.
void RequireStorage(const Json& value, const std::string& path, std::vector<FieldError>* errors) {
  for (const char* name : {"azblob", "s3", "gcs", "local"}) {
    if (value.contains(name)) return;
  }
  errors->push_back({FieldError::Type::kRequired, path + ".azblob", nullptr,
                     "a storage location is required (azblob; s3, gcs and local are the other "
                     "storage members)"});
}

void LogStopExclusive(const Json& value, const std::string& path, std::vector<FieldError>* errors) {
  if (value.contains("logStop") && value.contains("logSubcommand")) {
    errors->push_back({FieldError::Type::kForbidden, path + ".logStop", nullptr,
                       "logStop is the old way to stop a log backup and cannot be set together "
                       "with logSubcommand; use logSubcommand: log-stop instead"});
  }
}

void PositiveConcurrency(const Json& value, const std::string& path,
                         std::vector<FieldError>* errors) {
  auto it = value.find("concurrency");
  if (it != value.end() && it->is_number_integer() && it->get<int64_t>() <= 0) {
    errors->push_back(
        {FieldError::Type::kInvalid, path + ".concurrency", *it, "must be greater than 0"});
  }
}

SchemaPtr MakeBackupSpec() {
  std::map<std::string, SchemaPtr> p;
  AddPodFields(&p);
  AddStorage(&p);
  p["from"] = TidbAccessSchema();
  p["backupType"] = S::Enum({"full", "db", "table"});
  p["backupMode"] = WithDefault(S::Enum({"snapshot", "log", "volume-snapshot"}), "snapshot");
  p["tikvGCLifeTime"] = S::Duration();
  p["storageClassName"] = S::String();
  p["volumeAttributesClassName"] = S::String();
  p["storageSize"] = S::String();
  p["br"] = BrSchema();
  p["commitTs"] = S::Timestamp();
  p["logSubcommand"] = S::Enum({"log-start", "log-stop", "log-pause"});
  p["logTruncateUntil"] = S::Timestamp();
  p["logStop"] = S::Boolean();
  p["calcSizeLevel"] = S::String();
  p["federalVolumeBackupPhase"] = S::String();
  p["resumeGcSchedule"] = S::Boolean();
  p["volumeBackupInitJobMaxActiveSeconds"] = S::Integer();
  p["dumpling"] = S::Object({{"options", Strings()}, {"tableFilter", Strings()}});
  p["tableFilter"] = Strings();
  p["cleanPolicy"] = S::Enum({"Retain", "OnFailure", "Delete"});
  p["cleanOption"] = S::Object({
      {"pageSize", S::Integer()},
      {"retryCount", S::Integer()},
      {"backoffEnabled", S::Boolean()},
      {"disableBatchConcurrency", S::Boolean()},
      {"batchConcurrency", S::Integer()},
      {"routineConcurrency", S::Integer()},
      {"snapshotsDeleteRatio", S::Number()},
  });
  p["backoffRetryPolicy"] = S::Object({
      {"minRetryDuration", WithDefault(S::Duration(), "300s")},
      {"maxRetryTimes", WithDefault(S::Integer(), 2)},
      {"retryTimeout", WithDefault(S::Duration(), "30m")},
  });
  auto spec = WithRequired(S::Object(std::move(p)), {"br"});
  spec->rules.push_back(RequireStorage);
  spec->rules.push_back(LogStopExclusive);
  return spec;
}

SchemaPtr MakeCompactSpec() {
  std::map<std::string, SchemaPtr> p;
  AddPodFields(&p);
  AddStorage(&p);
  p["mode"] = S::Enum({"", "sharded"});
  p["shardCount"] = S::Integer();
  p["physicalFileCacheCapacity"] = S::String();
  p["name"] = S::String();
  p["startTs"] = S::Timestamp();
  p["endTs"] = S::Timestamp();
  p["concurrency"] = WithDefault(S::Integer(), 4);
  p["tikvImage"] = S::String();
  p["br"] = BrSchema();
  p["maxRetryTimes"] = WithDefault(S::Integer(), 6);
  auto spec = WithRequired(S::Object(std::move(p)), {"br"});
  spec->rules.push_back(RequireStorage);
  spec->rules.push_back(PositiveConcurrency);
  return spec;
}

SchemaPtr MakeRestoreSpec() {
  std::map<std::string, SchemaPtr> p;
  AddPodFields(&p);
  AddStorage(&p);
  p["to"] = TidbAccessSchema();
  p["backupType"] = S::Enum({"full", "db", "table"});
  p["restoreMode"] = WithDefault(S::Enum({"snapshot", "pitr", "volume-snapshot"}), "snapshot");
  p["pitrRestoredTs"] = S::Timestamp();
  std::map<std::string, SchemaPtr> full_storage;
  AddStorage(&full_storage);
  p["pitrFullBackupStorageProvider"] = S::Object(std::move(full_storage));
  p["logRestoreStartTs"] = S::Timestamp();
  p["prune"] = S::Enum({"afterFailed"});
  p["tikvGCLifeTime"] = S::Duration();
  p["storageClassName"] = S::String();
  p["volumeAttributesClassName"] = S::String();
  p["storageSize"] = S::String();
  p["br"] = BrSchema();
  p["tableFilter"] = Strings();
  for (const char* name :
       {"warmup", "warmupImage", "warmupStrategy", "volumeAZ", "federalVolumeRestorePhase"}) {
    p[name] = S::String();
  }
  p["tolerateSingleTiKVOutage"] = S::Boolean();
  p["backoffLimit"] = S::Integer();
  p["replicationConfig"] =
      WithRequired(S::Object({{"compactBackupName", S::String()}, {"waitTimeout", S::Duration()}}),
                   {"compactBackupName"});
  auto spec = WithRequired(S::Object(std::move(p)), {"br"});
  spec->rules.push_back(RequireStorage);
  return spec;
}

SchemaPtr MakeScheduleSpec() {
  std::map<std::string, SchemaPtr> p;
  AddStorage(&p);
  p["schedule"] = S::Cron();
  p["pause"] = S::Boolean();
  p["maxBackups"] = S::Integer();
  p["maxReservedTime"] = S::Duration();
  p["compactInterval"] = S::Duration();
  p["backupTemplate"] = BackupSpecSchema();
  p["logBackupTemplate"] = BackupSpecSchema();
  p["compactBackupTemplate"] = CompactSpecSchema();
  p["minCompactStartTs"] = S::Timestamp();
  p["storageClassName"] = S::String();
  p["volumeAttributesClassName"] = S::String();
  p["storageSize"] = S::String();
  p["imagePullSecrets"] = Opaques();
  p["br"] = BrSchema();
  return WithRequired(S::Object(std::move(p)), {"schedule", "backupTemplate"});
}

SchemaPtr ObjectSchema(SchemaPtr spec) {
  return WithRequired(S::Object({
                          {"apiVersion", S::String()},
                          {"kind", S::String()},
                          {"metadata", S::OpaqueObject()},
                          {"spec", std::move(spec)},
                          {"status", S::OpaqueObject()},
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

// The columns `kubectl get jobs` shows (kubectl 1.32's built-in printer).
std::vector<PrinterColumn> JobColumns() {
  auto containers = [](const Json& job, const char* field) {
    std::string out;
    try {
      for (const auto& c : job.at("spec").at("template").at("spec").at("containers")) {
        // Two appends, not `(... ? "" : ",") + c.value(...)`: GCC 12 at -O3 reports a false
        // -Wrestrict inside libstdc++'s operator+(const char*, string&&) (GCC bug 105651).
        if (!out.empty()) out += ",";
        out += c.value(field, "");
      }
    } catch (const Json::exception&) {
    }
    return Json(out);
  };
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
      Computed("Selector", "string", 1,
               [](const Json& job) -> Json {
                 std::string out;
                 try {
                   for (const auto& [k, v] :
                        job.at("spec").at("selector").at("matchLabels").items()) {
                     out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
                   }
                 } catch (const Json::exception&) {
                 }
                 return out;
               }),
  };
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
      Col("TimeTaken", "string", ".status.timeTaken"), Age()});
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
    ResourceInfo info;
    info.group = std::move(group);
    info.version = std::move(version);
    info.plural = std::move(plural);
    info.singular = std::move(singular);
    info.kind = std::move(kind);
    info.short_names = std::move(short_names);
    info.has_status = has_status;
    info.columns = std::move(columns);
    r.push_back(std::move(info));
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
