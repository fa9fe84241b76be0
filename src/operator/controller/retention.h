// BackupSchedule retention (docs/controllers.md, "BackupSchedule"), as a pure function so it can
// be tested without a cluster. brix fixes TiDB Operator's maxBackups bug: the log backup is never
// counted or deleted, and maxBackups truncates logs to the oldest kept snapshot like
// maxReservedTime.
//
// Retention never deletes every usable backup (docs/controllers.md, "BackupSchedule"): only
// Complete snapshots with a commit ts count (for maxBackups) and can be kept; the newest one always
// stays; with a log backup, the newest one at or before latest - maxReservedTime and the newest one
// at or before the log's checkpoint (the start of PITR into the kept window) stay too. Running
// snapshots are never deleted; Failed and Invalid ones go once they are older (by creation) than
// every kept one. Without any Complete snapshot nothing is deleted.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brix::controller {

struct SnapshotEntry {
  std::string name;
  std::string phase;       // Complete, Failed, Invalid, Running, ...
  uint64_t commit_ts = 0;  // 0 when none (failed backups)
};

struct LogEntry {
  uint64_t start_ts = 0;       // the log backup's status.commitTs
  uint64_t checkpoint_ts = 0;  // its status.logCheckpointTs
};

struct RetentionInput {
  std::vector<SnapshotEntry> snapshots;  // oldest first (by creation)
  std::optional<LogEntry> log;
  std::optional<std::chrono::nanoseconds> max_reserved_time;
  int max_backups = 0;                       // used when max_reserved_time is unset; 0 = no limit
  uint64_t now_ts = 0;                       // TSO of the wall clock
  std::optional<uint64_t> compact_progress;  // set when compactions run: truncation waits for it
};

struct RetentionPlan {
  std::vector<std::string> delete_names;
  uint64_t truncate_until = 0;  // 0: no truncation
  bool all_deleted = false;     // every snapshot goes
};

RetentionPlan PlanRetention(const RetentionInput& in);

// "2023-03-08t02-48-00": the UTC time in schedule-made names.
std::string NameTimestamp(std::chrono::system_clock::time_point t);
// "2023-03-08 02:48:00": the UTC time in schedule-made CompactBackup windows.
std::string WindowTimestamp(std::chrono::system_clock::time_point t);

}  // namespace brix::controller
