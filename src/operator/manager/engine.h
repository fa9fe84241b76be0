// The engine calls `brix manager` makes, behind one seam: snapshot backup and restore
// (br/snapshot), log-task operations, truncation and PITR (br/log) run the BR engine in process;
// what a build lacks fails with a clear "not available in this
// build". Tests substitute their own.
#pragma once

#include <functional>
#include <string>

#include "br/progress.h"
#include "br/snapshot/backup.h"
#include "br/snapshot/restore.h"
#include "common/result.h"

namespace brix::manager {

// A log-task operation: start, pause, resume, stop or truncate.
struct LogRequest {
  std::string subcommand;  // "log-start", ...
  std::string pd;
  std::string storage_url;
  std::string task_name;       // the Backup's name
  uint64_t start_ts = 0;       // log-start: spec.commitTs (0 = now)
  std::string truncate_until;  // log-truncate, as the user wrote it
  std::vector<std::string> filter;
  bool send_credentials = true;
  EnvLookup env = ProcessEnv();
};
struct LogResult {
  uint64_t start_ts = 0;       // log-start: the task's start ts (status.commitTs)
  uint64_t checkpoint_ts = 0;  // the global checkpoint after the operation, 0 if unknown
};

struct PitrRequest {
  std::string pd;
  std::string log_storage_url;
  std::string full_backup_storage_url;
  uint64_t start_ts = 0;  // logRestoreStartTs, when no full backup is given
  uint64_t restored_ts = 0;
  std::vector<std::string> filter;
  int concurrency = 8;
  bool send_credentials = true;
  EnvLookup env = ProcessEnv();
};

struct CompactRequest {
  std::string pd;
  std::string storage_url;  // the log backup's location
  uint64_t from_ts = 0, until_ts = 0;
  int concurrency = 4;
  std::string name;  // the CompactBackup's name (the compaction's folder)
  EnvLookup env = ProcessEnv();
};

struct Engine {
  std::function<Result<br::BackupSummary>(const br::BackupOptions&, const br::ProgressFn&)> backup;
  std::function<Result<br::RestoreSummary>(const br::RestoreOptions&, const br::ProgressFn&)>
      restore;
  std::function<Result<LogResult>(const LogRequest&)> log;
  std::function<Result<br::RestoreSummary>(const PitrRequest&, const br::ProgressFn&)> pitr;
  // `line` receives each progress line of the compaction; returns the real end ts processed.
  std::function<Result<uint64_t>(const CompactRequest&,
                                 const std::function<void(const std::string&)>& line)>
      compact;
};

// What this build has (see the file comment).
Engine DefaultEngine();

}  // namespace brix::manager
