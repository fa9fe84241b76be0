// Backup reconcile (docs/controllers.md, "Backup"; after TiDB Operator's). brix deviations, on
// purpose: a Stopped log backup is a no-op (TiDB Operator requeues it forever); refused log
// commands (resume or pause of a Stopped or Failed task) leave a Refused condition and a Warning
// event instead of silence; a truncation to a point before the task's start runs its job (the
// seed shows it); and the checkpoint of every Running task is tracked on its own, whatever its
// effective command does meanwhile (a failed pause, a truncation in flight or failed).
#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "common/timestamp.h"
#include "operator/api/backup_status.h"
#include "operator/api/go_time.h"
#include "operator/api/storage_spec.h"
#include "operator/api/types.h"
#include "operator/controller/controllers.h"

namespace brix::controller {
namespace {

using api::Condition;
namespace cond = api::cond;
namespace logcmd = api::logcmd;
namespace field = api::field;

Status SetCondition(Context* ctx, const api::Backup& backup, const Condition& c,
                    bool log_sub = false, const std::function<void(Json&)>& extra = {}) {
  bool changed = false;
  auto r = client::MutateStatus(
      *ctx->client, client::Backups(), backup.metadata.ns, backup.metadata.name, [&](Json& b) {
        if (client::UidOf(b) != backup.metadata.uid) return false;
        Json& st = b[field::kStatus];
        changed = log_sub ? api::UpsertLogCondition(&st, c) : api::UpsertCondition(&st, c);
        if (extra) {
          extra(st);
          changed = true;
        }
        return changed;
      });
  if (!r.ok()) return r.status();
  if (changed) {
    bool warn = c.type == cond::kFailed || c.type == cond::kRetryFailed ||
                c.type == cond::kInvalid || c.type == cond::kRefused ||
                c.type == cond::kCleanFailed;
    std::string msg = c.message.empty() ? c.type : c.message;
    if (!c.command.empty()) msg = c.command + ": " + msg;
    client::RecordEvent(*ctx->client, client::Backups(), backup.object, warn ? "Warning" : "Normal",
                        c.reason.empty() ? c.type : c.reason, msg);
  }
  return Status::OK();
}

bool IsCleanCandidate(const api::Backup& backup) {
  const std::string& policy = backup.spec.clean_policy;
  return backup.spec.IsLogMode() || policy == api::value::kDelete ||
         policy == api::value::kOnFailure;
}

JobRequest ManagerJob(const api::Backup& backup, const std::string& job_name,
                      const std::string& pd) {
  JobRequest r;
  r.name = job_name;
  r.component = "backup";
  r.labels = {{"tidb.pingcap.com/backup", backup.metadata.name}};
  r.args = {"backup", "--namespace", backup.metadata.ns, "--name", backup.metadata.name};
  auto storage = api::StorageOf(backup.spec.storage);
  if (storage.ok()) r.secret_name = storage->secret_name;
  r.env = {{"BRIX_CLUSTER_PD", pd}};
  return r;
}

// Validation the schema cannot do (§4.7); "" when fine.
std::string Invalid(const api::Backup& backup) {
  const api::BackupSpec& spec = backup.spec;
  auto storage = api::StorageOf(spec.storage);
  if (!storage.ok()) return storage.status().message();
  const std::string& type = spec.backup_type;
  if ((type == api::value::kDb || type == api::value::kTable) && spec.br.db.empty() &&
      spec.table_filter.empty()) {
    return "backupType " + type + " needs spec.br.db (or spec.tableFilter)";
  }
  if (type == api::value::kTable && spec.br.table.empty() && spec.table_filter.empty()) {
    return "backupType table needs spec.br.table (or spec.tableFilter)";
  }
  return "";
}

// The stores whose last flush failed, as one line for status.logFlushError; "" when every store
// flushes. While it is set the checkpoint stands still: the stores hold what they could not upload.
std::string FlushErrorText(const std::map<uint64_t, std::string>& store_errors) {
  std::string text;
  for (const auto& [store, error] : store_errors) {
    if (!text.empty()) text += "; ";
    text += "store " + std::to_string(store) + ": " + error;
  }
  return text;
}

// A Job of an earlier Backup of the same name (deleted, then applied again before the Job was
// collected) is not this Backup's: its state says nothing here. It is deleted; the caller waits.
Result<bool> RemovedForeignJob(Context* ctx, const api::Backup& backup, const std::string& ns,
                               const std::string& job_name, const JobState& job) {
  if (job.phase == JobPhase::kAbsent || job.owner_uid == backup.metadata.uid) return false;
  Status deleted = ctx->client->Delete(client::Jobs(), ns, job_name);
  if (!deleted.ok() && !deleted.IsNotFound()) return deleted;
  return true;
}

}  // namespace

Result<Outcome> BackupController::Reconcile(const std::string& ns, const std::string& name) {
  auto got = ctx_->client->Get(client::Backups(), ns, name);
  if (!got.ok()) {
    if (got.status().IsNotFound()) return Outcome::Done();
    return got.status();
  }
  BRIX_ASSIGN_OR_RETURN(api::Backup backup, api::ParseBackup(*got));
  if (backup.metadata.deleting) return Delete(backup);
  if (IsCleanCandidate(backup) && !backup.metadata.HasFinalizer(kBackupProtection)) {
    auto r = client::MutateObject(*ctx_->client, client::Backups(), ns, name, [&](Json& b) {
      if (HasFinalizer(b, kBackupProtection) || BeingDeleted(b)) return false;
      b[field::kMetadata]["finalizers"].push_back(kBackupProtection);
      return true;
    });
    if (!r.ok()) return r.status();
    BRIX_ASSIGN_OR_RETURN(backup, api::ParseBackup(*r));
  }
  const std::string& phase = backup.status.phase;
  if (phase == cond::kInvalid) return Outcome::Done();
  if (std::string why = Invalid(backup); !why.empty()) {
    BRIX_RETURN_IF_ERROR(SetCondition(ctx_, backup, {cond::kInvalid, "True", "InvalidSpec", why}));
    return Outcome::Done();
  }
  return backup.spec.IsLogMode() ? Log(backup) : Snapshot(backup);
}

Result<Outcome> BackupController::Snapshot(const api::Backup& backup) {
  const std::string& phase = backup.status.phase;
  if (phase == cond::kComplete || phase == cond::kFailed) return Outcome::Done();
  std::string ns = backup.metadata.ns, job_name = "backup-" + backup.metadata.name;
  BRIX_ASSIGN_OR_RETURN(JobState job, GetJob(*ctx_, ns, job_name));
  BRIX_ASSIGN_OR_RETURN(bool foreign, RemovedForeignJob(ctx_, backup, ns, job_name, job));
  if (foreign) return Outcome::After(Millis(200));
  auto now = ctx_->options.now();
  const api::BackoffRetryPolicy& policy = backup.spec.backoff_retry_policy;
  if (job.phase == JobPhase::kFailed) {
    // The process died without reporting (killed, lost in a brixd restart): retry with backoff
    // (§4.3) when the policy allows, else fail.
    const auto& records = backup.status.backoff_retry_status;
    if (!records.empty() && records.back().real_retry_at.empty()) {
      auto expected = ParseIso8601Utc(records.back().expected_retry_at);
      if (expected && now < *expected) {
        return Outcome::After(std::chrono::duration_cast<Millis>(*expected - now) + Millis(50));
      }
      BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::Jobs(), ns, job_name));
      BRIX_RETURN_IF_ERROR(SetCondition(
          ctx_, backup, {cond::kRestart, "True", "RetryBackup", "retrying the failed backup job"},
          false, [&](Json& st) {
            st[field::kBackoffRetryStatus].back()[field::kRealRetryAt] = FormatIso8601(now);
          }));
      return Outcome::After(Millis(100));
    }
    auto min_retry = api::ParseGoDuration(policy.min_retry_duration);
    auto timeout = api::ParseGoDuration(policy.retry_timeout);
    int max_times = policy.max_retry_times;
    int n = static_cast<int>(records.size()) + 1;
    bool timed_out = false;
    if (!records.empty() && timeout.ok()) {
      auto first = ParseIso8601Utc(records.front().detect_failed_at);
      timed_out = first && now - *first > *timeout;
    }
    if (n > max_times || timed_out || !min_retry.ok()) {
      std::string why = n > max_times ? "exceed retry times, max is " + std::to_string(max_times)
                                      : "retry timeout";
      BRIX_RETURN_IF_ERROR(SetCondition(ctx_, backup,
                                        {cond::kFailed, "True", "AlreadyFailed",
                                         "reason Job " + job_name + " has failed (" + why +
                                             "), original reason " + job.message}));
      return Outcome::Done();
    }
    auto delay = *min_retry * (1LL << std::min(n - 1, 20));
    auto expected = now + std::chrono::duration_cast<std::chrono::system_clock::duration>(delay);
    BRIX_RETURN_IF_ERROR(SetCondition(
        ctx_, backup,
        {cond::kRetryFailed, "True", "RetryFailedBackup",
         "job " + job_name + " failed (" + job.message + "); retry " + std::to_string(n) + " of " +
             std::to_string(max_times) + " at " + FormatIso8601(expected)},
        false, [&](Json& st) {
          st[field::kBackoffRetryStatus].push_back(
              {{field::kRetryNum, n},
               {field::kDetectFailedAt, FormatIso8601(now)},
               {field::kExpectedRetryAt, FormatIso8601(expected)},
               {field::kRetryReason, "job failed"},
               {field::kOriginalReason, job.message}});
        }));
    return Outcome::After(std::chrono::duration_cast<Millis>(delay) + Millis(50));
  }
  if (job.phase != JobPhase::kAbsent) return Outcome::Done();  // job events bring us back
  auto pd = ClusterPd(*ctx_, backup.metadata.ns, backup.spec.br);
  if (!pd.ok()) {
    BRIX_RETURN_IF_ERROR(SetCondition(
        ctx_, backup, {cond::kRetryFailed, "True", "ClusterNotFound", pd.status().message()}));
    return Outcome::After(Millis(5000));
  }
  BRIX_RETURN_IF_ERROR(
      CreateJob(*ctx_, client::Backups(), backup.object, ManagerJob(backup, job_name, *pd)));
  BRIX_RETURN_IF_ERROR(
      SetCondition(ctx_, backup, {cond::kScheduled, "True", "", "job " + job_name + " created"}));
  return Outcome::Done();
}

Result<Outcome> BackupController::Log(const api::Backup& backup) {
  BRIX_ASSIGN_OR_RETURN(Outcome outcome, LogCommand(backup));
  return TrackCheckpoint(backup, outcome);
}

Result<Outcome> BackupController::LogCommand(const api::Backup& backup) {
  const std::string &ns = backup.metadata.ns, &name = backup.metadata.name;
  const std::string& phase = backup.status.phase;
  std::string cmd = api::EffectiveLogCommand(backup);
  const std::string& wanted = backup.spec.log_subcommand;
  if (cmd == logcmd::kUnknown) {
    BRIX_RETURN_IF_ERROR(SetCondition(
        ctx_, backup,
        {cond::kRetryFailed, "True", "LogSubcommandNotSupported",
         "subcommand " + wanted + " is not supported (log-start, log-pause or log-stop)"}));
    return Outcome::Done();
  }
  // Terminal states refuse every change but truncation of a stopped task's data.
  if (phase == cond::kFailed ||
      (phase == cond::kStopped && cmd != logcmd::kTruncate && cmd != logcmd::kStop)) {
    if ((phase == cond::kStopped && !wanted.empty() && wanted != logcmd::kStop) ||
        (phase == cond::kFailed && !wanted.empty() && wanted != logcmd::kStart)) {
      std::string state = phase == cond::kStopped ? "Stopped" : "Failed";
      BRIX_RETURN_IF_ERROR(SetCondition(
          ctx_, backup,
          {cond::kRefused, "True", "LogBackup" + state,
           wanted + " refused: the log backup task is " + state +
               ", which is final (only a paused task can be resumed); create a new Backup to "
               "start another task",
           wanted}));
    }
    return Outcome::Done();
  }
  if (cmd != logcmd::kStart && backup.status.commit_ts.empty()) {
    return Outcome::After(Millis(2000));  // wait until log-start has completed (§2.3)
  }
  if (cmd == logcmd::kTruncate) {
    const std::string& until = backup.spec.log_truncate_until;
    // Only a point at or before the last successful truncation is recorded without a job. A
    // point before the task's start runs the job as the seed shows (`…-log-truncate 1/1`): it
    // finds nothing to delete and completes (TiDB Operator records it without a job).
    const std::string& done = backup.status.log_success_truncate_until;
    if (!done.empty() && TimestampOrZero(until) <= TimestampOrZero(done)) {
      BRIX_RETURN_IF_ERROR(SetCondition(
          ctx_, backup,
          {cond::kComplete, "True", "NothingToTruncate", "nothing before " + until + " to truncate",
           logcmd::kTruncate},
          true, [&](Json& st) {
            st[field::kLogSubCommandStatuses][logcmd::kTruncate][field::kLogTruncatingUntil] =
                until;
            st[field::kLogSuccessTruncateUntil] = until;
          }));
      return Outcome::Done();
    }
  } else if (api::LogCommandInSync(backup, cmd)) {
    return Outcome::Done();  // Log() tracks the checkpoint
  }
  std::string sub = backup.status.LogSubPhase(cmd);
  bool same_truncate = true;
  if (cmd == logcmd::kTruncate) {
    auto it = backup.status.log_sub_command_statuses.find(cmd);
    std::string truncating =
        it == backup.status.log_sub_command_statuses.end() ? "" : it->second.log_truncating_until;
    same_truncate = truncating == backup.spec.log_truncate_until;
  }
  std::string job_name = api::LogJobName(name, cmd);
  BRIX_ASSIGN_OR_RETURN(JobState job, GetJob(*ctx_, ns, job_name));
  BRIX_ASSIGN_OR_RETURN(bool foreign, RemovedForeignJob(ctx_, backup, ns, job_name, job));
  if (foreign) return Outcome::After(Millis(200));
  if (same_truncate && (sub == cond::kComplete || sub == cond::kFailed)) return Outcome::Done();
  if (same_truncate && job.phase == JobPhase::kFailed) {
    BRIX_RETURN_IF_ERROR(SetCondition(
        ctx_, backup,
        {cond::kFailed, "True", "AlreadyFailed",
         "reason Job " + job_name + " has failed, original reason " + job.message, cmd},
        true));
    return Outcome::Done();
  }
  if (job.phase == JobPhase::kRunning) return Outcome::Done();
  if (job.phase != JobPhase::kAbsent) {
    // A finished job of an earlier run of this command: make room for a fresh one.
    BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::Jobs(), ns, job_name));
    return Outcome::After(Millis(100));
  }
  auto pd = ClusterPd(*ctx_, backup.metadata.ns, backup.spec.br);
  if (!pd.ok()) {
    BRIX_RETURN_IF_ERROR(SetCondition(
        ctx_, backup, {cond::kRetryFailed, "True", "ClusterNotFound", pd.status().message()}));
    return Outcome::After(Millis(5000));
  }
  JobRequest r = ManagerJob(backup, job_name, *pd);
  r.args.insert(r.args.end(), {"--subcommand", cmd});
  const std::string& until = backup.spec.log_truncate_until;
  if (cmd == logcmd::kTruncate) r.args.insert(r.args.end(), {"--truncate-until", until});
  BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Backups(), backup.object, r));
  BRIX_RETURN_IF_ERROR(SetCondition(
      ctx_, backup, {cond::kScheduled, "True", "", "job " + job_name + " created", cmd}, true,
      [&](Json& st) {
        if (cmd == logcmd::kTruncate) {
          st[field::kLogSubCommandStatuses][cmd][field::kLogTruncatingUntil] = until;
        }
      }));
  return Outcome::Done();
}

Result<Outcome> BackupController::TrackCheckpoint(const api::Backup& backup, Outcome outcome) {
  // Every task that runs is tracked, whatever its command does meanwhile: a failed pause, a
  // truncation in flight or failed, a brixd restart during a command (the task keeps running,
  // so RPO monitoring must see its checkpoint move).
  if (backup.status.phase != cond::kRunning || backup.status.commit_ts.empty() ||
      !ctx_->options.log_progress) {
    return outcome;
  }
  const Millis interval = ctx_->options.checkpoint_interval;
  Outcome next = outcome.requeue_after && *outcome.requeue_after < interval
                     ? outcome
                     : Outcome::After(interval);
  auto pd = ClusterPd(*ctx_, backup.metadata.ns, backup.spec.br);
  if (!pd.ok()) return next;
  auto progress = ctx_->options.log_progress(*pd, backup.metadata.name);
  if (!progress.ok()) return next;
  const std::string& was_error = backup.status.log_flush_error;
  std::string checkpoint = progress->checkpoint_ts > 0 ? std::to_string(progress->checkpoint_ts)
                                                       : backup.status.log_checkpoint_ts;
  std::string error = FlushErrorText(progress->store_errors);
  if (checkpoint != backup.status.log_checkpoint_ts || error != was_error) {
    auto r = client::MutateStatus(*ctx_->client, client::Backups(), backup.metadata.ns,
                                  backup.metadata.name, [&](Json& b) {
                                    Json& st = b[field::kStatus];
                                    if (!checkpoint.empty()) {
                                      st[field::kLogCheckpointTs] = checkpoint;
                                    }
                                    st[field::kTimeSynced] = api::NowRfc3339();
                                    if (error.empty()) {
                                      st.erase(field::kLogFlushError);
                                    } else {
                                      st[field::kLogFlushError] = error;
                                    }
                                    return true;
                                  });
    r.status().IgnoreError();
    if (r.ok() && error != was_error) {
      if (!error.empty()) {
        client::RecordEvent(*ctx_->client, client::Backups(), backup.object, "Warning",
                            "LogFlushFailed",
                            error + " (the checkpoint holds until the store catches up)");
      } else {
        client::RecordEvent(*ctx_->client, client::Backups(), backup.object, "Normal",
                            "LogFlushRecovered", "every store flushes again");
      }
    }
  }
  return next;
}

Result<Outcome> BackupController::Delete(const api::Backup& backup) {
  const std::string &ns = backup.metadata.ns, &name = backup.metadata.name;
  if (!backup.metadata.HasFinalizer(kBackupProtection)) return Outcome::Done();
  const std::string& phase = backup.status.phase;
  // 1. A log task still on track is stopped first, so no orphan task keeps writing (§4.6).
  if (backup.spec.IsLogMode() && !backup.status.commit_ts.empty() &&
      (phase == cond::kRunning || api::IsPausedPhase(phase) || phase == cond::kPrepare ||
       phase == cond::kScheduled)) {
    BRIX_ASSIGN_OR_RETURN(JobState stop, GetJob(*ctx_, ns, "stop-" + name));
    if (stop.phase == JobPhase::kAbsent) {
      auto pd = ClusterPd(*ctx_, backup.metadata.ns, backup.spec.br);
      if (pd.ok()) {
        JobRequest r = ManagerJob(backup, "stop-" + name, *pd);
        r.args.insert(r.args.end(), {"--subcommand", logcmd::kStop});
        BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Backups(), backup.object, r));
        return Outcome::After(Millis(500));
      }
    } else if (stop.phase == JobPhase::kRunning) {
      return Outcome::After(Millis(500));
    }
  }
  // 2. Keep or delete the data.
  const std::string& policy = backup.spec.clean_policy;
  bool retain = policy == api::value::kRetain || policy.empty() ||
                (policy == api::value::kOnFailure && phase != cond::kFailed);
  bool cleaned = retain;
  if (!retain) {
    // 3. No backup job may still write while the data goes.
    for (std::string job_name :
         {"backup-" + name, api::LogJobName(name, logcmd::kStart),
          api::LogJobName(name, logcmd::kResume), api::LogJobName(name, logcmd::kPause),
          api::LogJobName(name, logcmd::kTruncate)}) {
      BRIX_ASSIGN_OR_RETURN(JobState j, GetJob(*ctx_, ns, job_name));
      if (j.phase == JobPhase::kRunning) {
        BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::Jobs(), ns, job_name));
      }
    }
    if (backup.status.backup_path.empty()) {
      cleaned = true;
    } else {
      BRIX_ASSIGN_OR_RETURN(JobState clean, GetJob(*ctx_, ns, "clean-" + name));
      if (clean.phase == JobPhase::kAbsent) {
        auto pd = ClusterPd(*ctx_, backup.metadata.ns, backup.spec.br);
        JobRequest r = ManagerJob(backup, "clean-" + name, pd.ok() ? *pd : "");
        r.component = "clean";
        r.args[0] = "clean";
        r.backoff_limit = 6;
        BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Backups(), backup.object, r));
        BRIX_RETURN_IF_ERROR(SetCondition(
            ctx_, backup, {cond::kClean, "False", "", "cleaning " + backup.status.backup_path}));
        return Outcome::After(Millis(500));
      }
      if (clean.phase == JobPhase::kRunning) return Outcome::After(Millis(500));
      if (clean.phase == JobPhase::kFailed) {
        // The finalizer stays: data may remain. Remove it by hand to give up on the data.
        BRIX_RETURN_IF_ERROR(SetCondition(ctx_, backup,
                                          {cond::kCleanFailed, "True", "CleanBackupDataFailed",
                                           "job clean-" + name + " failed: " + clean.message}));
        return Outcome::Done();
      }
      cleaned = true;
      BRIX_RETURN_IF_ERROR(
          SetCondition(ctx_, backup, {cond::kClean, "True", "", "backup data deleted"}));
    }
  }
  if (!cleaned) return Outcome::Done();
  auto r = client::MutateObject(*ctx_->client, client::Backups(), ns, name, [&](Json& b) {
    Json kept = Json::array();
    for (const auto& f : b[field::kMetadata].value("finalizers", Json::array())) {
      if (f != kBackupProtection) kept.push_back(f);
    }
    if (kept.size() == b[field::kMetadata].value("finalizers", Json::array()).size()) {
      return false;
    }
    b[field::kMetadata]["finalizers"] = kept;
    return true;
  });
  if (!r.ok() && !r.status().IsNotFound()) return r.status();
  return Outcome::Done();
}

}  // namespace brix::controller
