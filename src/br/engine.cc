#include "br/engine.h"

#include "br/log/validate_log.h"
#include "br/snapshot/backup_meta.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

// A snapshot backup's report, or, where the location holds no backupmeta, a log location's.
Result<ValidateReport> ValidateLocation(const std::string& url, const EnvLookup& env) {
  auto r = ValidateBackup(url, env);
  if (!r.ok() && r.status().IsNotFound()) {
    auto log = ValidateLogLocation(url, env);
    if (log.ok() || !log.status().IsNotFound()) return log;
  }
  return r;
}

Result<std::string> BackupMetaJsonAt(const std::string& url, const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(url, env));
  BRIX_ASSIGN_OR_RETURN(BackupMeta meta, ReadBackupMeta(*storage));
  return BackupMetaToJson(meta);
}

}  // namespace

Engine::Engine()
    : backup([](const BackupOptions& o, const ProgressFn& p) { return RunBackup(o, p); }),
      restore([](const RestoreOptions& o, const ProgressFn& p) { return RunRestore(o, p); }),
      log_start(StartLogTask),
      log_status([](const std::string& pd, const std::string& task) {
        return GetLogTaskStatus(pd, task);
      }),
      log_pause(PauseLogTask),
      log_resume(ResumeLogTask),
      log_stop(StopLogTask),
      log_update_credentials(UpdateLogTaskCredentials),
      log_truncate(TruncateLog),
      log_metadata(LogMetadata),
      compact(CompactLog),
      restore_point(RestorePoint),
      restore_plan(PlanRestore),
      restore_point_plan(PlanRestorePoint),
      restore_calibrate(
          [](const RestoreOptions& o, const ProgressFn& p) { return CalibrateRestore(o, p); }),
      validate(ValidateLocation),
      validate_deep(DeepValidate),
      backup_meta_json(BackupMetaJsonAt),
      clean(DeleteOwnedObjects) {}

}  // namespace brix::br
