// The BR engine's façade: every operation `brix` (src/tools/brix) and `brix manager`
// (src/operator/manager) run, with its options and its promises, in one place. Callers outside
// br/ include this header (and br/progress.h, which it includes) and nothing else from br/.
//
// The engine is a struct of one std::function per operation. `Engine{}` runs the real engine in
// this process; a test substitutes single operations (engine.backup = ...). The option and
// summary types are the engine's own (defined next to their implementation and re-exported
// here); both callers fill them directly, there is no second request type.
//
// Common to every operation:
//   - `pd` is kvpd's address list "h:p[,h:p]"; storage URLs are a local path, local:// or
//     azure://container/prefix?... (storage/open_storage.h). Credentials come from `env` (the
//     options' EnvLookup, ProcessEnv() by default) and never appear in an error or a summary.
//   - InvalidArgument: the request is wrong before any work started (a usage error for a CLI);
//     any other error: the work failed (the message names what and where).
//   - Progress callbacks (ProgressFn, CompactProgressFn) run on engine threads, possibly
//     concurrently, and must be cheap.
//
// Operations and their contracts (details in the header each type comes from):
//   backup        Snapshot backup at one ts (BackupOptions -> BackupSummary; br/snapshot/backup.h).
//                 Holds a service safepoint at the backup ts; refuses a location holding or
//                 nested in another brix location; writes backupmeta last (without it the
//                 location holds no backup). Re-running the same arguments after an interruption
//                 resumes: only unfinished ranges are redone, at the first run's ts.
//                 last_backup_ts > 0 makes it incremental; on_owned is called once the run owns
//                 the location, before any data file is written.
//   restore       Snapshot restore (RestoreOptions -> RestoreSummary; br/snapshot/restore.h).
//                 Checks everything it can before touching the target; refuses a target with a
//                 running log task or existing tables (full) or a missing incremental link.
//                 Nothing is visible until checksums match and the tables are published in one
//                 catalog write; a failed run leaves nothing visible.
//   log_start     Registers a log-backup task (LogStartOptions -> its start ts;
//                 br/log/log_task.h). Refused when the name runs, the location holds a log backup
//                 or nests in another location. start_ts 0 = now.
//   log_status    State, checkpoints and per-store errors of a task (LogTaskStatus). NotFound
//                 when no task of that name is registered.
//   log_pause / log_resume / log_stop
//                 State transitions of a task; each refuses, with the reason, from a state it
//                 cannot leave that way. A stopped task's data stays.
//   log_update_credentials
//                 Replaces the storage credentials a task forwards to the nodes
//                 (LogCredentialsOptions); they must read the task's location first.
//   log_truncate  Deletes log data no restore to a point >= until needs (TruncateSummary;
//                 br/log/truncate.h). `until` must not pass the global checkpoint; the location
//                 stays valid at every step, also while nodes keep flushing.
//   log_metadata  The restorable range of a log location (LogRange).
//   compact       Merges the log files of [from, until] into sorted SSTs PITR ingests
//                 (CompactOptions -> LogCompaction; br/log/compaction.h). until past the global
//                 checkpoint is refused; a re-run of the same (name, from, until) resumes its
//                 plan; compaction.meta is written last. Raw files are never deleted here.
//   restore_point PITR into an empty cluster (PitrOptions -> PitrSummary; br/log/pitr.h):
//                 the snapshot, then every logged version up to restored_ts with its original
//                 commit ts. restored_ts outside [snapshot ts, log checkpoint] is refused, with
//                 the bounds, before the target is touched.
//                 Both restores return their phases (bytes, measured seconds) and keep the
//                 measured rates in the target cluster with the publish (br/restore_rates.h).
//   restore_plan / restore_point_plan
//                 The dry-run of restore / restore_point (RestorePlan; br/restore_plan.h): the
//                 snapshot, compactions and log files the restore would use (chosen by the same
//                 functions), bytes and estimated seconds per phase from the target's measured
//                 rates. Writes nothing, to the target or to the storage.
//   restore_calibrate
//                 A restore that publishes nothing and deletes what it ingested, keeping only
//                 its measured rates in the target (br/restore_calibrate.h).
//   validate      Re-reads a snapshot backup, or else a log location, and checks every file
//                 against its metadata (ValidateReport; br/snapshot/validate.h). A report with
//                 problems is a result, not an error; a location holding neither is NotFound.
//   validate_deep `brix validate --deep`: every file read once and decoded, table checksums,
//                 and the log chain continuing a snapshot, with its restorable window
//                 (DeepValidateReport; br/deep_validate.h). Problems are a result, not an error.
//   backup_meta_json
//                 The backupmeta of a snapshot location as JSON (`brix debug meta`).
//   clean         Deletes exactly what one run owns at a location, only when the location's
//                 marker proves that run owns it (RunOwner -> DeleteReport; br/location.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "br/deep_validate.h"
#include "br/location.h"
#include "br/log/compaction.h"
#include "br/log/log_task.h"
#include "br/log/pitr.h"
#include "br/log/truncate.h"
#include "br/progress.h"
#include "br/restore_calibrate.h"
#include "br/restore_plan.h"
#include "br/snapshot/backup.h"
#include "br/snapshot/restore.h"
#include "br/snapshot/validate.h"
#include "common/env.h"
#include "common/result.h"

namespace brix::br {

struct Engine {
  Engine();  // every operation runs the real engine in this process

  std::function<Result<BackupSummary>(const BackupOptions&, const ProgressFn&)> backup;
  std::function<Result<RestoreSummary>(const RestoreOptions&, const ProgressFn&)> restore;

  std::function<Result<uint64_t>(const LogStartOptions&)> log_start;
  std::function<Result<LogTaskStatus>(const std::string& pd, const std::string& task)> log_status;
  std::function<Status(const std::string& pd, const std::string& task)> log_pause;
  std::function<Status(const std::string& pd, const std::string& task)> log_resume;
  std::function<Status(const std::string& pd, const std::string& task)> log_stop;
  std::function<Status(const LogCredentialsOptions&)> log_update_credentials;
  std::function<Result<TruncateSummary>(const std::string& storage_url, uint64_t until,
                                        const EnvLookup& env)>
      log_truncate;
  std::function<Result<LogRange>(const std::string& storage_url, const EnvLookup& env)>
      log_metadata;
  std::function<Result<LogCompaction>(const CompactOptions&, const CompactProgressFn&)> compact;

  std::function<Result<PitrSummary>(const PitrOptions&, const ProgressFn&)> restore_point;
  std::function<Result<RestorePlan>(const RestoreOptions&)> restore_plan;
  std::function<Result<RestorePlan>(const PitrOptions&)> restore_point_plan;
  std::function<Result<RestoreSummary>(const RestoreOptions&, const ProgressFn&)> restore_calibrate;

  std::function<Result<ValidateReport>(const std::string& storage_url, const EnvLookup& env)>
      validate;
  std::function<Result<DeepValidateReport>(const DeepValidateOptions&, const ProgressFn&)>
      validate_deep;
  std::function<Result<std::string>(const std::string& storage_url, const EnvLookup& env)>
      backup_meta_json;
  std::function<Result<DeleteReport>(const std::string& storage_url, const EnvLookup& env,
                                     const RunOwner& owner)>
      clean;
};

}  // namespace brix::br
