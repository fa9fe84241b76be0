#include "operator/api/backup_status.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/time_util.h"

namespace brix::api {
namespace {

Json* FindCondition(Json* conditions, const std::string& type) {
  for (auto& c : *conditions) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}

// The raw upsert on an object holding "phase" and "conditions".
bool Upsert(Json* holder, const Condition& c, bool set_phase) {
  if (holder->is_null()) *holder = Json::object();
  Json& conditions = (*holder)[field::kConditions];
  if (!conditions.is_array()) conditions = Json::array();
  Json entry = {{"type", c.type}, {"status", c.status}, {"lastTransitionTime", NowRfc3339()}};
  if (!c.reason.empty()) entry["reason"] = c.reason;
  if (!c.message.empty()) entry["message"] = c.message;
  if (!c.command.empty()) entry["command"] = c.command;
  bool phase_changed = set_phase && holder->value(field::kPhase, "") != c.type;
  bool changed = false;
  if (phase_changed) {
    (*holder)[field::kPhase] = c.type;
    changed = true;
  }
  Json* old = FindCondition(&conditions, c.type);
  if (old == nullptr) {
    conditions.push_back(entry);
    return true;
  }
  if (!phase_changed && old->value("status", "") == c.status) {
    entry["lastTransitionTime"] = old->value("lastTransitionTime", entry["lastTransitionTime"]);
  }
  Json before = *old;
  Json compare = entry;
  if (before == compare) return changed;
  *old = entry;
  return true;
}

}  // namespace

std::string NowRfc3339() { return FormatIso8601(std::chrono::system_clock::now()); }

bool UpsertCondition(Json* status, const Condition& c, bool set_phase) {
  bool phase = set_phase && c.type != cond::kRestart && c.type != cond::kRefused;
  return Upsert(status, c, phase);
}

bool UpsertLogCondition(Json* status, const Condition& c) {
  if (status->is_null()) *status = Json::object();
  Json& sub = (*status)[field::kLogSubCommandStatuses][c.command];
  bool changed = Upsert(&sub, c, /*set_phase=*/true);
  if (sub.value("command", "") != c.command) {
    sub["command"] = c.command;
    changed = true;
  }
  const std::string& cmd = c.command;
  bool complete = c.type == cond::kComplete && c.status == "True";
  if (cmd == logcmd::kStart) {
    if (c.type != cond::kComplete) changed = UpsertCondition(status, c) || changed;
  } else if (complete &&
             (cmd == logcmd::kResume || cmd == logcmd::kPause || cmd == logcmd::kStop)) {
    Condition top = c;
    top.type = cmd == logcmd::kResume  ? cond::kRunning
               : cmd == logcmd::kPause ? cond::kPaused
                                       : cond::kStopped;
    changed = UpsertCondition(status, top) || changed;
    // Pause and resume alternate: completing one makes the other runnable again.
    const char* other = cmd == logcmd::kPause    ? logcmd::kResume
                        : cmd == logcmd::kResume ? logcmd::kPause
                                                 : nullptr;
    if (other != nullptr && status->contains(field::kLogSubCommandStatuses) &&
        (*status)[field::kLogSubCommandStatuses].contains(other)) {
      (*status)[field::kLogSubCommandStatuses][other][field::kPhase] = cond::kRepeatable;
    }
  } else if (c.type == cond::kFailed && cmd != logcmd::kTruncate) {
    // brix: a failed pause/resume/stop is visible at the top level without changing the
    // phase, so `kubectl describe` shows why the task did not move.
    Condition top = c;
    changed = UpsertCondition(status, top, /*set_phase=*/false) || changed;
  }
  return changed;
}

bool LogCommandInSync(const Backup& backup, const std::string& command) {
  const std::string& phase = backup.status.phase;
  if (command == logcmd::kStart) return !backup.status.commit_ts.empty();
  if (command == logcmd::kStop) return phase == cond::kStopped;
  if (command == logcmd::kPause) return IsPausedPhase(phase);
  if (command == logcmd::kResume) return phase == cond::kRunning;
  return false;
}

std::string EffectiveLogCommand(const Backup& backup) {
  const BackupSpec& spec = backup.spec;
  const std::string& sub = spec.log_subcommand;
  const std::string& phase = backup.status.phase;
  std::string cmd;
  if (sub.empty()) {
    if (spec.log_stop || phase == cond::kStopped) {
      cmd = logcmd::kStop;
    } else if (IsPausedPhase(phase)) {
      cmd = logcmd::kResume;
    } else {
      cmd = logcmd::kStart;
    }
  } else if (sub == logcmd::kStart) {
    cmd = IsPausedPhase(phase) ? logcmd::kResume : logcmd::kStart;
  } else if (sub == logcmd::kStop || sub == logcmd::kPause) {
    cmd = sub;
  } else {
    return logcmd::kUnknown;
  }
  const std::string& until = spec.log_truncate_until;
  if (LogCommandInSync(backup, cmd) && !until.empty() &&
      until != backup.status.log_success_truncate_until) {
    return logcmd::kTruncate;
  }
  return cmd;
}

std::string LogJobName(const std::string& name, const std::string& command) {
  return "backup-" + name + "-" + command;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 10) return std::to_string(bytes) + " B";
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double e = std::floor(std::log(static_cast<double>(bytes)) / std::log(1000.0));
  double v = static_cast<double>(bytes) / std::pow(1000.0, e);
  char buf[32];
  std::snprintf(buf, sizeof(buf), v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[static_cast<int>(e)]);
  return buf;
}

}  // namespace brix::api
