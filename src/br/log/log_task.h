// `brix log start|status|pause|resume|stop` (docs/backup.md): the log-backup task in kvpd.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/result.h"

namespace brix::cluster {
class PdClient;
}

namespace brix::br {

// The service safepoint protecting a task's versions after its checkpoint (its name and TTL:
// cluster/safepoints.h) is set by start, pause and resume, and moved by every flush (through
// kvpd).

struct LogStartOptions {
  std::string pd;
  std::string task_name;
  std::string storage_url;
  uint64_t start_ts = 0;  // 0 = now
  std::vector<std::string> filter;
  bool send_credentials = true;
  EnvLookup env = ProcessEnv();
};

// Registers the task (refused if the name runs, the storage already holds a log backup, or it
// lies inside, around or at another brix location: br/location.h), writes v1/task to the
// storage (from then on the task owns the location) and protects start_ts with the task's
// service safepoint. Forwarded credentials (send_credentials) go to kvpd apart from the
// definition, which kvpd seals (cluster/log_task_credentials.h); kvpd without a credential key
// refuses them.
// Returns the start ts.
[[nodiscard]] Result<uint64_t> StartLogTask(const LogStartOptions& options);

struct LogTaskStatus {
  std::string name;
  std::string state;  // running | paused | stopped | error
  uint64_t start_ts = 0;
  uint64_t checkpoint_ts = 0;
  double checkpoint_lag_seconds = 0;
  std::string storage;  // URL without credentials
  std::map<uint64_t, uint64_t> store_checkpoints;
  std::map<uint64_t, std::string> store_errors;  // only stores with an error
};

[[nodiscard]] Result<LogTaskStatus> GetLogTaskStatus(const std::string& pd,
                                                     const std::string& task_name);
// The same over a connection the caller keeps (brixd's controllers read it every few seconds).
// NotFound when no task of that name is registered.
[[nodiscard]] Result<LogTaskStatus> GetLogTaskStatus(cluster::PdClient& pd,
                                                     const std::string& task_name);
// `brix log update-credentials`: replaces the storage credentials a running or paused task
// forwards to the nodes (e.g. an expiring SAS) with the ones in `env` (the variables `brix log
// start` forwards). They must read the task's location first. kvpd seals them and swaps them in
// by compare-and-swap on the definition; each node opens the storage with them at its next
// flush, without restarting the task. (A task started with --send-credentials-to-tikv=false
// takes them too: they come before the node's own environment.)
struct LogCredentialsOptions {
  std::string pd;
  std::string task_name;
  EnvLookup env = ProcessEnv();
};
[[nodiscard]] Status UpdateLogTaskCredentials(const LogCredentialsOptions& options);

// Each refuses with the reason when the task is not in a state it can leave that way.
[[nodiscard]] Status PauseLogTask(const std::string& pd, const std::string& task_name);
[[nodiscard]] Status ResumeLogTask(const std::string& pd, const std::string& task_name);
[[nodiscard]] Status StopLogTask(const std::string& pd, const std::string& task_name);

}  // namespace brix::br
