#include "operator/manager/manager.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <regex>

#include "common/time_util.h"
#include "common/timestamp.h"
#include "operator/api/backup_status.h"
#include "operator/api/go_time.h"
#include "operator/api/storage_spec.h"
#include "operator/api/types.h"
#include "operator/manager/restore_report.h"
#include "operator/manager/verify_report.h"
#include "storage/open_storage.h"

namespace brix::manager {

using client::Json;
namespace cond = api::cond;
namespace logcmd = api::logcmd;
using Clock = std::chrono::system_clock;

namespace {

namespace field = api::field;

std::string TimeTaken(Clock::time_point start, Clock::time_point end) {
  return api::FormatGoDuration(std::chrono::duration_cast<std::chrono::seconds>(end - start));
}

// Events a job writes are checked: a denied one (403: the job's account lacks "create events")
// fails the job with the API's message, so a missing right is never silent. Other failures
// are logged; the work goes on.
Status CheckedEvent(client::ApiClient& api, const api::ResourceInfo& info, const Json& object,
                    const std::string& type, const std::string& reason,
                    const std::string& message) {
  Status s = client::CreateEvent(api, info, object, type, reason, message);
  if (s.ok() || s.code() == Status::Code::kPermissionDenied) return s;
  spdlog::warn("event {}: {}", reason, s.ToString());
  return Status::OK();
}

// Status writes of one CR, with the pieces every kind needs.
class StatusWriter {
 public:
  StatusWriter(client::ApiClient& api, const api::ResourceInfo& info, std::string ns,
               std::string name)
      : api_(api), info_(info), ns_(std::move(ns)), name_(std::move(name)) {}

  Status Change(const std::function<void(Json& status)>& f) {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = client::MutateStatus(api_, info_, ns_, name_, [&](Json& o) {
      if (!o["status"].is_object()) o["status"] = Json::object();
      Json before = o["status"];
      f(o["status"]);
      last_ = o;
      return o["status"] != before;
    });
    if (r.ok()) last_ = *r;
    return r.status();
  }
  Status Condition(const api::Condition& c, bool log = false,
                   const std::function<void(Json&)>& extra = {}) {
    Status s = Change([&](Json& st) {
      if (log) {
        api::UpsertLogCondition(&st, c);
      } else {
        api::UpsertCondition(&st, c);
      }
      if (extra) extra(st);
    });
    bool warn = c.type == cond::kFailed || c.type == cond::kRetryFailed;
    if (s.ok() && !last_.is_null()) {
      std::string msg = c.message.empty() ? c.type : c.message;
      if (!c.command.empty()) msg = c.command + ": " + msg;
      s = CheckedEvent(api_, info_, last_, warn ? "Warning" : "Normal",
                       c.reason.empty() ? c.type : c.reason, msg);
    }
    return s;
  }
  // Progress of the engine, at most once a second (the API is not a progress bar).
  void Progress(const br::Progress& p) {
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      bool new_step = p.step != step_;
      if (!new_step && now - last_progress_ < std::chrono::seconds(1)) return;
      step_ = p.step;
      last_progress_ = now;
    }
    double pct =
        p.total > 0 ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 0;
    Change([&](Json& st) {
      Json& list = st["progresses"];
      if (!list.is_array()) list = Json::array();
      bool found = false;
      for (auto& e : list) {
        if (e.value("step", "") == p.step) {
          e["progress"] = pct;
          e["lastTransitionTime"] = api::NowRfc3339();
          found = true;
        } else {
          e["progress"] = 100.0;  // a new step means the earlier ones are done
        }
      }
      if (!found) {
        list.push_back(
            {{"step", p.step}, {"progress", pct}, {"lastTransitionTime", api::NowRfc3339()}});
      }
    }).IgnoreError();
  }

 private:
  client::ApiClient& api_;
  const api::ResourceInfo& info_;
  std::string ns_, name_;
  std::mutex mu_;
  Json last_;
  std::string step_;
  std::chrono::steady_clock::time_point last_progress_{};
};

// A finished run: every step is done, whatever the last report said.
void ProgressDone(Json& st) {
  if (!st.contains("progresses") || !st["progresses"].is_array()) return;
  for (auto& e : st["progresses"]) e["progress"] = 100.0;
}

Status Fail(StatusWriter& w, const std::string& reason, const Status& error,
            const std::string& command = "") {
  api::Condition c{cond::kFailed, "True", reason, error.message(), command};
  w.Condition(c, !command.empty()).IgnoreError();
  return error;
}

Status BackupSnapshot(client::ApiClient& api, const Engine& engine, const api::Backup& backup,
                      const EnvLookup& env) {
  const std::string &ns = backup.metadata.ns, &name = backup.metadata.name;
  StatusWriter w(api, client::Backups(), ns, name);
  if (backup.status.phase == cond::kComplete) return Status::OK();
  const api::BackupSpec& spec = backup.spec;
  auto loc = api::StorageOf(spec.storage);
  if (!loc.ok()) return Fail(w, "InvalidSpec", loc.status());
  auto start = Clock::now();
  BRIX_RETURN_IF_ERROR(w.Condition({cond::kPrepare, "True", "", ""}));
  br::BackupOptions o;
  o.env = env;
  o.pd = env("BRIX_CLUSTER_PD").value_or("");
  if (o.pd.empty())
    return Fail(w, "ClusterNotFound", Status::InvalidArgument("BRIX_CLUSTER_PD is not set"));
  auto url = api::EngineStorageUrl(spec.storage, env);
  if (!url.ok()) return Fail(w, "InvalidSpec", url.status());
  o.storage_url = *url;
  if (Status s = ApplyBackupSpec(spec, &o); !s.ok()) return Fail(w, "InvalidSpec", s);
  // The CR claims the location (and its clean job may delete there) only once its run owns it:
  // a run refused at a location that holds another backup never records it.
  o.on_owned = [&](const std::string& run_id) {
    return w.Change([&](Json& st) {
      st[field::kBackupPath] = loc->backup_path;
      st[field::kBackupRunId] = run_id;
    });
  };
  BRIX_RETURN_IF_ERROR(w.Condition({cond::kRunning, "True", "", ""}));
  auto summary = engine.backup(o, [&](const br::Progress& p) { w.Progress(p); });
  if (!summary.ok()) return Fail(w, "BackupDataToRemoteFailed", summary.status());
  auto end = Clock::now();
  auto done = [&](Json& st) {
    ProgressDone(st);
    st["commitTs"] = std::to_string(summary->backup_ts);
    st["backupSize"] = summary->backup_size;
    st["backupSizeReadable"] = api::HumanBytes(summary->backup_size);
    st["timeStarted"] = FormatIso8601(start);
    st["timeCompleted"] = FormatIso8601(end);
    st["timeTaken"] = TimeTaken(start, end);
  };
  if (spec.verify != api::value::kVerifyDeep) {
    return w.Condition({cond::kComplete, "True", "", ""}, false, done);
  }
  // spec.verify: deep (docs/validate.md): the backup is Complete only once it proves readable;
  // otherwise Failed, reason VerificationFailed, with the problems in status.verification.
  br::DeepValidateOptions v;
  v.storage_url = *url;
  v.env = env;
  auto report = engine.validate_deep(v, [&](const br::Progress& p) { w.Progress(p); });
  if (!report.ok()) return Fail(w, "VerificationFailed", report.status());
  const Json verification = VerificationJson(*report, api::NowRfc3339());
  if (report->ok()) {
    return w.Condition({cond::kComplete, "True", "Verified",
                        "validate --deep: " + std::to_string(report->files) + " files passed"},
                       false, [&](Json& st) {
                         done(st);
                         st["verification"] = verification;
                       });
  }
  const auto& first = report->problems.front();
  Status failed = Status::Corruption(
      "validate --deep found " + std::to_string(report->problems.size()) + " problem(s), first " +
      first.file + ": " + first.what + " (status.verification)");
  w.Condition({cond::kFailed, "True", "VerificationFailed", failed.message()}, false,
              [&](Json& st) {
                done(st);
                st["verification"] = verification;
              })
      .IgnoreError();
  return failed;
}

Status BackupLog(client::ApiClient& api, const Engine& engine, const api::Backup& backup,
                 const ManagerRequest& req, const EnvLookup& env) {
  const std::string &ns = backup.metadata.ns, &name = backup.metadata.name;
  StatusWriter w(api, client::Backups(), ns, name);
  const std::string& cmd = req.subcommand;
  const api::BackupSpec& spec = backup.spec;
  auto loc = api::StorageOf(spec.storage);
  if (!loc.ok()) return Fail(w, "InvalidSpec", loc.status(), cmd);
  auto start = Clock::now();
  BRIX_RETURN_IF_ERROR(w.Condition({cond::kPrepare, "True", "", "", cmd}, true, [&](Json& st) {
    st["logSubCommandStatuses"][cmd]["timeStarted"] = FormatIso8601(start);
  }));
  std::string pd = env("BRIX_CLUSTER_PD").value_or("");
  bool send_credentials = spec.br.send_cred_to_tikv.value_or(true);
  uint64_t start_ts = 0;  // log-start: spec.commitTs (0 = now)
  if (cmd == logcmd::kStart && !spec.commit_ts.empty()) {
    auto ts = ParseTimestamp(spec.commit_ts, api::field::SpecField(api::field::kCommitTs));
    if (!ts.ok()) return Fail(w, "InvalidSpec", ts.status(), cmd);
    start_ts = *ts;
  }
  auto url = api::EngineStorageUrl(spec.storage, env);
  if (!url.ok()) return Fail(w, "InvalidSpec", url.status(), cmd);
  BRIX_RETURN_IF_ERROR(w.Condition({cond::kRunning, "True", "", "", cmd}, true));
  // The task's name is the Backup's; log-start's result is the task's start ts (status.commitTs).
  auto run = [&]() -> Result<uint64_t> {
    if (cmd == logcmd::kStart) {
      br::LogStartOptions o;
      o.pd = pd;
      o.task_name = name;
      o.storage_url = *url;
      o.start_ts = start_ts;
      o.filter = FilterOf(spec);
      o.send_credentials = send_credentials;
      o.env = env;
      return engine.log_start(o);
    }
    Status done;
    if (cmd == logcmd::kPause) {
      done = engine.log_pause(pd, name);
    } else if (cmd == logcmd::kResume) {
      done = engine.log_resume(pd, name);
    } else if (cmd == logcmd::kStop) {
      done = engine.log_stop(pd, name);
    } else if (cmd == logcmd::kTruncate) {
      BRIX_ASSIGN_OR_RETURN(
          uint64_t until,
          ParseTimestamp(req.truncate_until, api::field::SpecField(api::field::kLogTruncateUntil)));
      done = engine.log_truncate(*url, until, env).status();
    } else {
      done = Status::InvalidArgument("unknown log subcommand " + cmd);
    }
    if (!done.ok()) return done;
    return uint64_t{0};
  };
  auto started = run();
  if (!started.ok()) {
    std::string reason = started.status().code() == Status::Code::kNotSupported
                             ? "LogBackupNotAvailable"
                             : "LogBackupCommandFailed";
    Status error = started.status();
    if (cmd == logcmd::kStart && error.IsAlreadyExists() &&
        error.message().rfind("--storage", 0) == 0) {
      // The prefix holds an earlier task's log (e.g. this Backup deleted while Stopped and
      // applied again): a stopped task is final and the engine never mixes two tasks' logs.
      reason = "LogLocationInUse";
      error = Status::AlreadyExists(
          error.message() +
          ". To start a new log backup: delete this Backup, then apply it again with "
          "spec.azblob.prefix set to a folder no backup uses; the earlier log stays restorable "
          "from " +
          loc->backup_path);
    }
    return Fail(w, reason, error, cmd);
  }
  // The global checkpoint after the operation, 0 if unknown.
  uint64_t checkpoint_ts = 0;
  if (auto st = engine.log_status(pd, name); st.ok()) {
    checkpoint_ts = st->checkpoint_ts;
    if (*started == 0) started = st->start_ts;
  }
  auto end = Clock::now();
  return w.Condition({cond::kComplete, "True", "", "", cmd}, true, [&](Json& st) {
    st["logSubCommandStatuses"][cmd]["timeCompleted"] = FormatIso8601(end);
    if (cmd == logcmd::kStart) {
      // Owned now: the task's v1/task is written (its name and start ts prove it).
      st["backupPath"] = loc->backup_path;
      st["commitTs"] = std::to_string(*started);
      if (!st.contains("timeStarted")) st["timeStarted"] = FormatIso8601(start);
    }
    if (checkpoint_ts > 0) st["logCheckpointTs"] = std::to_string(checkpoint_ts);
    if (cmd == logcmd::kTruncate) st["logSuccessTruncateUntil"] = req.truncate_until;
    if (cmd == logcmd::kStop) st["timeCompleted"] = FormatIso8601(end);
  });
}

// Deletes what the CR's run owned, and nothing else: the run recorded in its status must be the
// one the location's marker names (br/location.h). Another run's data, or objects next to the
// run's, stay; that is success (there is nothing of this CR's to delete).
Status Clean(client::ApiClient& api, const Engine& engine, const api::Backup& backup,
             const EnvLookup& env) {
  const std::string& path = backup.status.backup_path;
  if (path.empty()) {
    return Status::FailedPrecondition("BackupPathIsEmpty: backup " + backup.metadata.name +
                                      " has no status.backupPath; nothing to clean");
  }
  BRIX_RETURN_IF_ERROR(CheckedEvent(api, client::Backups(), backup.object, "Normal", "CleanStarted",
                                    "deleting the data of this backup at " + path));
  BRIX_ASSIGN_OR_RETURN(std::string url, api::EngineStorageUrl(backup.spec.storage, env));
  br::RunOwner owner = br::RunOwner::Snapshot(backup.status.backup_run_id);
  if (backup.spec.IsLogMode()) {
    uint64_t start = 0;
    if (const std::string& ts = backup.status.commit_ts; !ts.empty()) {
      BRIX_ASSIGN_OR_RETURN(start, ParseTimestamp(ts, "status.commitTs"));
    }
    owner = br::RunOwner::Log(backup.metadata.name, start);
  }
  BRIX_ASSIGN_OR_RETURN(br::DeleteReport report, engine.clean(url, env, owner));
  if (report.owned) {
    std::printf("clean %s: deleted %llu objects\n", path.c_str(),
                static_cast<unsigned long long>(report.deleted));
  } else {
    std::printf("clean %s: nothing of this backup's to delete: %s\n", path.c_str(),
                report.note.c_str());
  }
  return Status::OK();
}

// A PITR's result as the Restore's status records it (commitTs: the point restored to).
Result<br::RestoreSummary> RestorePoint(const Engine& engine, const br::PitrOptions& o,
                                        const br::ProgressFn& progress) {
  BRIX_ASSIGN_OR_RETURN(br::PitrSummary s, engine.restore_point(o, progress));
  br::RestoreSummary out;
  out.backup_ts = s.restored_ts;
  out.total_kvs = s.snapshot_kvs + s.log_entries;
  out.files = s.log_files;
  out.seconds = s.seconds;
  out.phases = s.phases;
  return out;
}

// spec.dryRun: the plan (br/restore_plan.h) into status.plan; nothing is restored. The Restore
// completes with reason DryRun.
Status RestoreDryRun(StatusWriter& w, const Result<br::RestorePlan>& plan) {
  if (!plan.ok()) return Fail(w, "RestorePlanFailed", plan.status());
  return w.Condition({cond::kComplete, "True", "DryRun",
                      "plan only, nothing restored: estimated " +
                          std::to_string(static_cast<int64_t>(plan->estimate.total_seconds + 0.5)) +
                          "s (status.plan)"},
                     false, [&](Json& st) { st["plan"] = PlanJson(*plan); });
}

Status Restore(client::ApiClient& api, const Engine& engine, const api::Restore& restore,
               const EnvLookup& env) {
  const std::string &ns = restore.metadata.ns, &name = restore.metadata.name;
  StatusWriter w(api, client::Restores(), ns, name);
  if (restore.status.phase == cond::kComplete) return Status::OK();
  const api::RestoreSpec& spec = restore.spec;
  std::string pd = env("BRIX_CLUSTER_PD").value_or("");
  auto url = api::EngineStorageUrl(spec.storage, env);
  if (!url.ok()) return Fail(w, "InvalidSpec", url.status());
  auto start = Clock::now();
  BRIX_RETURN_IF_ERROR(w.Condition({cond::kRunning, "True", "", ""}));
  Result<br::RestoreSummary> summary = Status::Internal("unset");
  auto progress = [&](const br::Progress& p) { w.Progress(p); };
  if (spec.restore_mode == api::value::kPitr) {
    br::PitrOptions o;
    SetRestoreCommon(spec, pd, env, &o);
    o.log_storage_url = *url;
    auto ts =
        ParseTimestamp(spec.pitr_restored_ts, api::field::SpecField(api::field::kPitrRestoredTs));
    if (!ts.ok()) return Fail(w, "InvalidSpec", ts.status());
    o.restored_ts = *ts;
    if (spec.pitr_full_backup_storage) {
      auto full = api::EngineStorageUrl(*spec.pitr_full_backup_storage, env);
      if (!full.ok()) return Fail(w, "InvalidSpec", full.status());
      o.full_backup_storage_url = *full;
    } else {
      auto st = ParseTimestamp(spec.log_restore_start_ts,
                               api::field::SpecField(api::field::kLogRestoreStartTs));
      if (!st.ok()) return Fail(w, "InvalidSpec", st.status());
    }
    if (o.full_backup_storage_url.empty()) {
      summary = Status::NotSupported(
          "PITR from logRestoreStartTs alone is not supported; give "
          "spec.pitrFullBackupStorageProvider (the snapshot the log continues)");
    } else if (spec.dry_run) {
      return RestoreDryRun(w, engine.restore_point_plan(o));
    } else {
      summary = RestorePoint(engine, o, progress);
    }
  } else {
    br::RestoreOptions o;
    SetRestoreCommon(spec, pd, env, &o);
    o.storage_url = *url;
    if (spec.br.rate_limit) o.ratelimit_mib = *spec.br.rate_limit;
    if (spec.br.checksum) o.checksum = *spec.br.checksum;
    if (spec.dry_run) return RestoreDryRun(w, engine.restore_plan(o));
    summary = engine.restore(o, progress);
  }
  if (!summary.ok()) return Fail(w, "RestoreDataFromRemoteFailed", summary.status());
  auto end = Clock::now();
  return w.Condition({cond::kComplete, "True", "", ""}, false, [&](Json& st) {
    ProgressDone(st);
    st["commitTs"] = std::to_string(summary->backup_ts);
    st["timeStarted"] = FormatIso8601(start);
    st["timeCompleted"] = FormatIso8601(end);
    st["timeTaken"] = TimeTaken(start, end);
    st["phases"] = PhasesJson(summary->phases);  // measured (operator/manager/restore_report.h)
  });
}

Status Compact(client::ApiClient& api, const Engine& engine, const api::CompactBackup& cpbk,
               const EnvLookup& env) {
  const std::string &ns = cpbk.metadata.ns, &name = cpbk.metadata.name;
  StatusWriter w(api, client::CompactBackups(), ns, name);
  const api::CompactSpec& spec = cpbk.spec;
  auto set_state = [&](const std::string& state, const std::string& message,
                       const std::function<void(Json&)>& extra = {}) {
    Status s = w.Change([&](Json& st) {
      st["state"] = state;
      if (!message.empty()) st["message"] = message;
      if (extra) extra(st);
    });
    if (!s.ok()) return s;
    return CheckedEvent(api, client::CompactBackups(), cpbk.object,
                        state == cond::kRetryFailed ? "Warning" : "Normal",
                        state == cond::kRunning    ? "Started"
                        : state == cond::kComplete ? "Finished"
                                                   : "Failed(Retryable)",
                        message.empty() ? state : message);
  };
  auto failed = [&](const Status& error) {
    int n = 1 + static_cast<int>(cpbk.status.backoff_retries);
    set_state(cond::kRetryFailed, error.message(), [&](Json& st) {
      if (!st["backoffRetryStatus"].is_array()) st["backoffRetryStatus"] = Json::array();
      st["backoffRetryStatus"].push_back({{"retryNum", n},
                                          {"detectFailedAt", api::NowRfc3339()},
                                          {"retryReason", error.message()}});
    }).IgnoreError();
    return error;
  };
  br::CompactOptions o;
  o.env = env;
  o.concurrency = spec.concurrency;
  o.name = name;
  auto from = ParseTimestamp(spec.start_ts, api::field::SpecField(api::field::kStartTs));
  auto until = ParseTimestamp(spec.end_ts, api::field::SpecField(api::field::kEndTs));
  if (!from.ok()) return failed(from.status());
  if (!until.ok()) return failed(until.status());
  o.from_ts = *from;
  o.until_ts = *until;
  auto url = api::EngineStorageUrl(spec.storage, env);
  if (!url.ok()) return failed(url.status());
  o.storage_url = *url;
  BRIX_RETURN_IF_ERROR(set_state(cond::kRunning, ""));
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  std::string latest;
  // The same progress line `brix log compact` prints, parsed as any compaction's output is.
  auto compaction = engine.compact(o, [&](const br::CompactProgress& progress) {
    auto p = CompactProgressIn(br::CompactProgressJson(progress));
    if (!p) return;
    latest = *p;
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(1)) return;  // debounced, as TiDB Operator does
    last = now;
    w.Change([&](Json& st) { st["progress"] = *p; }).IgnoreError();
  });
  if (!compaction.ok()) return failed(compaction.status());
  // The real end ts processed.
  uint64_t end_ts = std::max(compaction->input_max_ts(), compaction->until_ts());
  return set_state(cond::kComplete, "", [&](Json& st) {
    if (!latest.empty()) st["progress"] = latest;
    st["endTs"] = std::to_string(end_ts);
  });
}

}  // namespace

std::optional<std::string> CompactProgressIn(const std::string& line) {
  static const std::regex plain(R"(\[READ_META\((\d+)/(\d+)\),COMPACT_WORK\((\d+)/(\d+)\)\])");
  std::smatch m;
  if (std::regex_search(line, m, plain)) return m.str(0);
  // tikv-ctl's JSON log line "Finishing compaction." with its counters.
  Json j = Json::parse(line, nullptr, false);
  if (j.is_object() && j.contains("meta_completed") && j.contains("meta_total") &&
      j.contains("bytes_compacted") && j.contains("bytes_to_compact")) {
    auto num = [&](const char* k) {
      return j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
    };
    return "[READ_META(" + num("meta_completed") + "/" + num("meta_total") + "),COMPACT_WORK(" +
           num("bytes_compacted") + "/" + num("bytes_to_compact") + ")]";
  }
  return std::nullopt;
}

namespace {

Status RunKind(client::ApiClient& api, const Engine& engine, const ManagerRequest& req,
               const EnvLookup& env) {
  const api::ResourceInfo& info = req.kind == "restore"   ? client::Restores()
                                  : req.kind == "compact" ? client::CompactBackups()
                                                          : client::Backups();
  BRIX_ASSIGN_OR_RETURN(Json object, api.Get(info, req.ns, req.name));
  if (req.kind == "backup" || req.kind == "clean") {
    BRIX_ASSIGN_OR_RETURN(api::Backup backup, api::ParseBackup(object));
    if (req.kind == "clean") return Clean(api, engine, backup, env);
    if (backup.spec.IsLogMode()) {
      if (req.subcommand.empty()) {
        return Status::InvalidArgument("a log Backup needs --subcommand");
      }
      return BackupLog(api, engine, backup, req, env);
    }
    return BackupSnapshot(api, engine, backup, env);
  }
  if (req.kind == "restore") {
    BRIX_ASSIGN_OR_RETURN(api::Restore restore, api::ParseRestore(object));
    return Restore(api, engine, restore, env);
  }
  if (req.kind == "compact") {
    BRIX_ASSIGN_OR_RETURN(api::CompactBackup cpbk, api::ParseCompactBackup(object));
    return Compact(api, engine, cpbk, env);
  }
  return Status::InvalidArgument("unknown manager kind " + req.kind);
}

// A denied API call ends the run; its message (which names the verb and the resource) goes into
// the CR's status when the account may still write it. When it may not, the job's last log line
// carries the message and the controller copies it into the CR when the Job fails.
void RecordForbidden(client::ApiClient& api, const ManagerRequest& req, const Status& denied) {
  if (req.kind == "clean") return;  // the controller records a failed clean (CleanFailed)
  const api::ResourceInfo& info = req.kind == "restore"   ? client::Restores()
                                  : req.kind == "compact" ? client::CompactBackups()
                                                          : client::Backups();
  StatusWriter w(api, info, req.ns, req.name);
  Status s = w.Change([&](Json& st) {
    if (req.kind == "compact") {
      st["state"] = cond::kFailed;
      st["message"] = denied.message();
      return;
    }
    api::Condition c{cond::kFailed, "True", "Forbidden", denied.message(), req.subcommand};
    if (req.subcommand.empty()) {
      api::UpsertCondition(&st, c);
    } else {
      api::UpsertLogCondition(&st, c);
    }
  });
  if (!s.ok()) spdlog::warn("cannot record the denial in the status: {}", s.ToString());
}

}  // namespace

Status RunManager(client::ApiClient& api, const Engine& engine, const ManagerRequest& req,
                  const EnvLookup& env) {
  Status s = RunKind(api, engine, req, env);
  if (s.code() == Status::Code::kPermissionDenied) RecordForbidden(api, req, s);
  return s;
}

}  // namespace brix::manager
