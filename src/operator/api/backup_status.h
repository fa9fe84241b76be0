// The status rules of the backup CRs, shared by the controllers in brixd and by `brix manager`
// (TiDB Operator's backup status rules; docs/controllers.md): condition upserts, the log-backup
// "effective command" and how per-subcommand conditions reach the top-level phase.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "operator/api/types.h"

namespace brix::api {

using Json = nlohmann::json;

// Condition types (BackupConditionType). kRefused is brix's own: a log command the task's
// state does not allow (resume of a Stopped or Failed task); it never changes the phase.
// kPaused is "Pause", the word the seed's page shows (TiDB Operator's code writes "Paused");
// IsPausedPhase also accepts "Paused", which brix wrote before, so such CRs keep working.
namespace cond {
inline constexpr char kScheduled[] = "Scheduled";
inline constexpr char kPrepare[] = "Prepare";
inline constexpr char kRunning[] = "Running";
inline constexpr char kComplete[] = "Complete";
inline constexpr char kFailed[] = "Failed";
inline constexpr char kRetryFailed[] = "RetryFailed";
inline constexpr char kInvalid[] = "Invalid";
inline constexpr char kClean[] = "Clean";
inline constexpr char kCleanFailed[] = "CleanFailed";
inline constexpr char kPaused[] = "Pause";
inline constexpr char kPausedLegacy[] = "Paused";
inline constexpr char kStopped[] = "Stopped";
inline constexpr char kRestart[] = "Restart";
inline constexpr char kRepeatable[] = "Repeatable";
inline constexpr char kRefused[] = "Refused";
}  // namespace cond

// Whether a log backup's phase says its task is paused ("Pause", or "Paused" from older brix).
inline bool IsPausedPhase(const std::string& phase) {
  return phase == cond::kPaused || phase == cond::kPausedLegacy;
}

// Log subcommands; "log-resume" and "log-truncate" are only ever derived, never written.
namespace logcmd {
inline constexpr char kStart[] = "log-start";
inline constexpr char kResume[] = "log-resume";
inline constexpr char kPause[] = "log-pause";
inline constexpr char kStop[] = "log-stop";
inline constexpr char kTruncate[] = "log-truncate";
inline constexpr char kUnknown[] = "log-unknown";
}  // namespace logcmd

struct Condition {
  Condition(std::string type_, std::string status_ = "True", std::string reason_ = "",
            std::string message_ = "", std::string command_ = "")
      : type(std::move(type_)),
        status(std::move(status_)),
        reason(std::move(reason_)),
        message(std::move(message_)),
        command(std::move(command_)) {}
  std::string type;
  std::string status = "True";
  std::string reason;
  std::string message;
  std::string command;  // log subcommand, optional
};

// UpdateBackupCondition (§2.1) on `status` (an object, created if null): lastTransitionTime is
// now unless an unchanged condition keeps its old one; phase follows the type unless the type is
// Restart or Refused (or `set_phase` is false). Returns whether anything changed.
bool UpsertCondition(Json* status, const Condition& c, bool set_phase = true);

// The same upsert inside logSubCommandStatuses[c.command], then mirrored to the top level as
// §2.4 says (log-start: all but Complete; resume/pause/stop: only Complete, as Running, Pause,
// Stopped; truncate: nothing). Completing pause marks log-resume Repeatable and vice versa.
bool UpsertLogCondition(Json* status, const Condition& c);

// effectiveLogCommand (§2.3): start/resume/pause/stop, or truncate when the command is in sync
// and spec.logTruncateUntil differs from status.logSuccessTruncateUntil.
std::string EffectiveLogCommand(const Backup& backup);
// Whether `command` already holds (§2.3's "in sync" predicates).
bool LogCommandInSync(const Backup& backup, const std::string& command);

// The Job that runs `command` for Backup `name`: backup-<name>-<command without "log-">... e.g.
// backup-demo1-log-backup-azblob-log-start.
std::string LogJobName(const std::string& name, const std::string& command);

// "1.2 GB" (humanize.Bytes: SI units, one decimal below 10).
std::string HumanBytes(uint64_t bytes);
// Now as RFC 3339 UTC ("2026-11-24T05:20:42Z").
std::string NowRfc3339();

}  // namespace brix::api
