// Backup reconcile (docs/controllers.md, "Backup"; after TiDB Operator's). brix deviations, on
// purpose: a Stopped log backup is a no-op (TiDB Operator requeues it forever), and refused log
// commands (resume or pause of a Stopped or Failed task) leave a Refused condition and a Warning
// event instead of silence.
#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "operator/api/backup_status.h"
#include "operator/api/go_time.h"
#include "operator/api/storage_spec.h"
#include "operator/controller/controllers.h"

namespace brix::controller {
namespace {

using api::Condition;
namespace cond = api::cond;
namespace logcmd = api::logcmd;

Status SetCondition(Context* ctx, const Json& backup, const Condition& c, bool log_sub = false,
                    const std::function<void(Json&)>& extra = {}) {
  bool changed = false;
  auto r = client::MutateStatus(*ctx->client, client::Backups(), client::NamespaceOf(backup),
                                client::NameOf(backup), [&](Json& b) {
                                  if (client::UidOf(b) != client::UidOf(backup)) return false;
                                  Json& st = b["status"];
                                  changed = log_sub ? api::UpsertLogCondition(&st, c)
                                                    : api::UpsertCondition(&st, c);
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
    client::RecordEvent(*ctx->client, client::Backups(), backup, warn ? "Warning" : "Normal",
                        c.reason.empty() ? c.type : c.reason, msg);
  }
  return Status::OK();
}

bool IsCleanCandidate(const Json& backup) {
  std::string policy = backup["spec"].value("cleanPolicy", "Retain");
  return api::IsLogMode(backup) || policy == "Delete" || policy == "OnFailure";
}

std::string BackupName(const Json& b) { return client::NameOf(b); }

JobRequest ManagerJob(const Json& backup, const std::string& job_name, const std::string& pd) {
  JobRequest r;
  r.name = job_name;
  r.component = "backup";
  r.labels = {{"tidb.pingcap.com/backup", BackupName(backup)}};
  r.args = {"backup", "--namespace", client::NamespaceOf(backup), "--name", BackupName(backup)};
  auto storage = api::StorageOf(backup["spec"]);
  if (storage.ok()) r.secret_name = storage->secret_name;
  r.env = {{"BRIX_CLUSTER_PD", pd}};
  return r;
}

// Validation the schema cannot do (§4.7); "" when fine.
std::string Invalid(const Json& backup) {
  const Json& spec = backup["spec"];
  auto storage = api::StorageOf(spec);
  if (!storage.ok()) return storage.status().message();
  std::string type = spec.value("backupType", "full");
  if ((type == "db" || type == "table") && spec["br"].value("db", "").empty() &&
      spec.value("tableFilter", Json::array()).empty()) {
    return "backupType " + type + " needs spec.br.db (or spec.tableFilter)";
  }
  if (type == "table" && spec["br"].value("table", "").empty() &&
      spec.value("tableFilter", Json::array()).empty()) {
    return "backupType table needs spec.br.table (or spec.tableFilter)";
  }
  return "";
}

uint64_t TsOrZero(const std::string& s) {
  if (s.empty()) return 0;
  auto ts = api::ParseTsString(s);
  return ts.ok() ? *ts : 0;
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

}  // namespace

Result<Outcome> BackupController::Reconcile(const std::string& ns, const std::string& name) {
  auto got = ctx_->client->Get(client::Backups(), ns, name);
  if (!got.ok()) {
    if (got.status().IsNotFound()) return Outcome::Done();
    return got.status();
  }
  Json backup = std::move(got).value();
  if (BeingDeleted(backup)) return Delete(backup);
  if (IsCleanCandidate(backup) && !HasFinalizer(backup, kBackupProtection)) {
    auto r = client::MutateObject(*ctx_->client, client::Backups(), ns, name, [&](Json& b) {
      if (HasFinalizer(b, kBackupProtection) || BeingDeleted(b)) return false;
      b["metadata"]["finalizers"].push_back(kBackupProtection);
      return true;
    });
    if (!r.ok()) return r.status();
    backup = *r;
  }
  std::string phase = api::Phase(backup);
  if (phase == cond::kInvalid) return Outcome::Done();
  if (std::string why = Invalid(backup); !why.empty()) {
    BRIX_RETURN_IF_ERROR(SetCondition(ctx_, backup, {cond::kInvalid, "True", "InvalidSpec", why}));
    return Outcome::Done();
  }
  return api::IsLogMode(backup) ? Log(backup) : Snapshot(backup);
}

Result<Outcome> BackupController::Snapshot(const Json& backup) {
  std::string phase = api::Phase(backup);
  if (phase == cond::kComplete || phase == cond::kFailed) return Outcome::Done();
  std::string ns = client::NamespaceOf(backup), job_name = "backup-" + BackupName(backup);
  BRIX_ASSIGN_OR_RETURN(JobState job, GetJob(*ctx_, ns, job_name));
  auto now = ctx_->options.now();
  const Json& policy = backup["spec"].value("backoffRetryPolicy", Json::object());
  if (job.phase == JobPhase::kFailed) {
    // The process died without reporting (killed, lost in a brixd restart): retry with backoff
    // (§4.3) when the policy allows, else fail.
    Json records = backup.contains("status")
                       ? backup["status"].value("backoffRetryStatus", Json::array())
                       : Json::array();
    if (!records.empty() && records.back().value("realRetryAt", "").empty()) {
      auto expected = ParseIso8601Utc(records.back().value("expectedRetryAt", ""));
      if (expected && now < *expected) {
        return Outcome::After(std::chrono::duration_cast<Millis>(*expected - now) + Millis(50));
      }
      BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::Jobs(), ns, job_name));
      BRIX_RETURN_IF_ERROR(SetCondition(
          ctx_, backup, {cond::kRestart, "True", "RetryBackup", "retrying the failed backup job"},
          false,
          [&](Json& st) { st["backoffRetryStatus"].back()["realRetryAt"] = FormatIso8601(now); }));
      return Outcome::After(Millis(100));
    }
    auto min_retry = api::ParseGoDuration(policy.value("minRetryDuration", "300s"));
    auto timeout = api::ParseGoDuration(policy.value("retryTimeout", "30m"));
    int max_times = policy.value("maxRetryTimes", 2);
    int n = static_cast<int>(records.size()) + 1;
    bool timed_out = false;
    if (!records.empty() && timeout.ok()) {
      auto first = ParseIso8601Utc(records.front().value("detectFailedAt", ""));
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
          st["backoffRetryStatus"].push_back({{"retryNum", n},
                                              {"detectFailedAt", FormatIso8601(now)},
                                              {"expectedRetryAt", FormatIso8601(expected)},
                                              {"retryReason", "job failed"},
                                              {"originalReason", job.message}});
        }));
    return Outcome::After(std::chrono::duration_cast<Millis>(delay) + Millis(50));
  }
  if (job.phase != JobPhase::kAbsent) return Outcome::Done();  // job events bring us back
  auto pd = ClusterPd(*ctx_, backup, backup["spec"]);
  if (!pd.ok()) {
    BRIX_RETURN_IF_ERROR(SetCondition(
        ctx_, backup, {cond::kRetryFailed, "True", "ClusterNotFound", pd.status().message()}));
    return Outcome::After(Millis(5000));
  }
  BRIX_RETURN_IF_ERROR(
      CreateJob(*ctx_, client::Backups(), backup, ManagerJob(backup, job_name, *pd)));
  BRIX_RETURN_IF_ERROR(
      SetCondition(ctx_, backup, {cond::kScheduled, "True", "", "job " + job_name + " created"}));
  return Outcome::Done();
}

Result<Outcome> BackupController::Log(const Json& backup) {
  std::string ns = client::NamespaceOf(backup), name = BackupName(backup);
  std::string phase = api::Phase(backup);
  std::string cmd = api::EffectiveLogCommand(backup);
  std::string wanted = backup["spec"].value("logSubcommand", "");
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
               ", which is final (only a Paused task can be resumed); create a new Backup to "
               "start another task",
           wanted}));
    }
    return Outcome::Done();
  }
  if (cmd != logcmd::kStart && StatusField(backup, "commitTs").empty()) {
    return Outcome::After(Millis(2000));  // wait until log-start has completed (§2.3)
  }
  if (cmd == logcmd::kTruncate) {
    std::string until = backup["spec"].value("logTruncateUntil", "");
    uint64_t ts = TsOrZero(until);
    if (ts <= TsOrZero(StatusField(backup, "commitTs")) ||
        ts <= TsOrZero(StatusField(backup, "logSuccessTruncateUntil"))) {
      BRIX_RETURN_IF_ERROR(SetCondition(
          ctx_, backup,
          {cond::kComplete, "True", "NothingToTruncate", "nothing before " + until + " to truncate",
           logcmd::kTruncate},
          true, [&](Json& st) {
            st["logSubCommandStatuses"][logcmd::kTruncate]["logTruncatingUntil"] = until;
            st["logSuccessTruncateUntil"] = until;
          }));
      return Outcome::Done();
    }
  } else if (api::LogCommandInSync(backup, cmd)) {
    return TrackCheckpoint(backup);
  }
  std::string sub = api::LogSubPhase(backup, cmd);
  bool same_truncate = true;
  if (cmd == logcmd::kTruncate) {
    // .at() and contains(): `backup` is const, and operator[] on a missing key of a const json
    // is undefined behaviour.
    std::string truncating;
    const Json& st = backup.at("status");
    if (st.contains("logSubCommandStatuses") && st.at("logSubCommandStatuses").contains(cmd)) {
      truncating = st.at("logSubCommandStatuses").at(cmd).value("logTruncatingUntil", "");
    }
    same_truncate = truncating == backup["spec"].value("logTruncateUntil", "");
  }
  std::string job_name = api::LogJobName(name, cmd);
  BRIX_ASSIGN_OR_RETURN(JobState job, GetJob(*ctx_, ns, job_name));
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
  auto pd = ClusterPd(*ctx_, backup, backup["spec"]);
  if (!pd.ok()) {
    BRIX_RETURN_IF_ERROR(SetCondition(
        ctx_, backup, {cond::kRetryFailed, "True", "ClusterNotFound", pd.status().message()}));
    return Outcome::After(Millis(5000));
  }
  JobRequest r = ManagerJob(backup, job_name, *pd);
  r.args.insert(r.args.end(), {"--subcommand", cmd});
  std::string until = backup["spec"].value("logTruncateUntil", "");
  if (cmd == logcmd::kTruncate) r.args.insert(r.args.end(), {"--truncate-until", until});
  BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Backups(), backup, r));
  BRIX_RETURN_IF_ERROR(SetCondition(
      ctx_, backup, {cond::kScheduled, "True", "", "job " + job_name + " created", cmd}, true,
      [&](Json& st) {
        if (cmd == logcmd::kTruncate) {
          st["logSubCommandStatuses"][cmd]["logTruncatingUntil"] = until;
        }
      }));
  return Outcome::Done();
}

Result<Outcome> BackupController::TrackCheckpoint(const Json& backup) {
  if (api::Phase(backup) != cond::kRunning || !ctx_->options.log_progress) return Outcome::Done();
  auto pd = ClusterPd(*ctx_, backup, backup["spec"]);
  if (!pd.ok()) return Outcome::After(ctx_->options.checkpoint_interval);
  auto progress = ctx_->options.log_progress(*pd, BackupName(backup));
  if (!progress.ok()) return Outcome::After(ctx_->options.checkpoint_interval);
  const std::string was_error = StatusField(backup, "logFlushError");
  std::string checkpoint = progress->checkpoint_ts > 0 ? std::to_string(progress->checkpoint_ts)
                                                       : StatusField(backup, "logCheckpointTs");
  std::string error = FlushErrorText(progress->store_errors);
  if (checkpoint != StatusField(backup, "logCheckpointTs") || error != was_error) {
    auto r = client::MutateStatus(*ctx_->client, client::Backups(), client::NamespaceOf(backup),
                                  BackupName(backup), [&](Json& b) {
                                    Json& st = b["status"];
                                    if (!checkpoint.empty()) st["logCheckpointTs"] = checkpoint;
                                    st["timeSynced"] = api::NowRfc3339();
                                    if (error.empty()) {
                                      st.erase("logFlushError");
                                    } else {
                                      st["logFlushError"] = error;
                                    }
                                    return true;
                                  });
    r.status().IgnoreError();
    if (r.ok() && error != was_error) {
      if (!error.empty()) {
        client::RecordEvent(*ctx_->client, client::Backups(), backup, "Warning", "LogFlushFailed",
                            error + " (the checkpoint holds until the store catches up)");
      } else {
        client::RecordEvent(*ctx_->client, client::Backups(), backup, "Normal", "LogFlushRecovered",
                            "every store flushes again");
      }
    }
  }
  return Outcome::After(ctx_->options.checkpoint_interval);
}

Result<Outcome> BackupController::Delete(const Json& backup) {
  std::string ns = client::NamespaceOf(backup), name = BackupName(backup);
  if (!HasFinalizer(backup, kBackupProtection)) return Outcome::Done();
  std::string phase = api::Phase(backup);
  // 1. A log task still on track is stopped first, so no orphan task keeps writing (§4.6).
  if (api::IsLogMode(backup) && !StatusField(backup, "commitTs").empty() &&
      (phase == cond::kRunning || phase == cond::kPaused || phase == cond::kPrepare ||
       phase == cond::kScheduled)) {
    BRIX_ASSIGN_OR_RETURN(JobState stop, GetJob(*ctx_, ns, "stop-" + name));
    if (stop.phase == JobPhase::kAbsent) {
      auto pd = ClusterPd(*ctx_, backup, backup["spec"]);
      if (pd.ok()) {
        JobRequest r = ManagerJob(backup, "stop-" + name, *pd);
        r.args.insert(r.args.end(), {"--subcommand", logcmd::kStop});
        BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Backups(), backup, r));
        return Outcome::After(Millis(500));
      }
    } else if (stop.phase == JobPhase::kRunning) {
      return Outcome::After(Millis(500));
    }
  }
  // 2. Keep or delete the data.
  std::string policy = backup["spec"].value("cleanPolicy", "Retain");
  bool retain =
      policy == "Retain" || policy.empty() || (policy == "OnFailure" && phase != cond::kFailed);
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
    if (StatusField(backup, "backupPath").empty()) {
      cleaned = true;
    } else {
      BRIX_ASSIGN_OR_RETURN(JobState clean, GetJob(*ctx_, ns, "clean-" + name));
      if (clean.phase == JobPhase::kAbsent) {
        auto pd = ClusterPd(*ctx_, backup, backup["spec"]);
        JobRequest r = ManagerJob(backup, "clean-" + name, pd.ok() ? *pd : "");
        r.component = "clean";
        r.args[0] = "clean";
        r.backoff_limit = 6;
        BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Backups(), backup, r));
        BRIX_RETURN_IF_ERROR(SetCondition(
            ctx_, backup,
            {cond::kClean, "False", "", "cleaning " + StatusField(backup, "backupPath")}));
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
    for (const auto& f : b["metadata"].value("finalizers", Json::array())) {
      if (f != kBackupProtection) kept.push_back(f);
    }
    if (kept.size() == b["metadata"].value("finalizers", Json::array()).size()) return false;
    b["metadata"]["finalizers"] = kept;
    return true;
  });
  if (!r.ok() && !r.status().IsNotFound()) return r.status();
  return Outcome::Done();
}

}  // namespace brix::controller
