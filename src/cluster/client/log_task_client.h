// LogTaskClient: typed calls of kvpd's log-backup task registry (cluster.proto, LogTask* and
// LogCheckpoint; the server side is cluster/pd/log_tasks.h). Task definitions are opaque bytes
// here (br/proto/log.proto LogTask is the coordinator's business). Every method goes to the
// kvpd leader with PdClient's failover and returns kvpd's refusal as a Status:
// InvalidArgument (a name that is not a path component), AlreadyExists (Create of a name that
// exists), Aborted (Update lost a compare-and-swap: read again, decide again),
// FailedPrecondition (safepoint below GC, kvpd without a credential key, checkpoint of a
// stopped or re-created task).
// Thread-safe as PdClient is; holds a reference, so the PdClient must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/client/pd_client.h"
#include "cluster/proto/cluster.pb.h"
#include "common/result.h"

namespace brix::cluster {

// Storage credentials forwarded to the nodes (kvpd seals them: cluster/log_task_credentials.h).
using LogTaskCredentials = std::map<std::string, std::string>;

// A compare-and-swap change of a task (LogTaskPutRequest without create_only).
struct LogTaskUpdate {
  std::string name;
  std::string definition;
  int64_t expected_revision = 0;  // > 0: only if the definition is still at this mod revision
  bool stopped = false;           // the definition is final; its credentials go too
  // The task's service safepoint (cluster/safepoints.h), changed in the same atomic step: set
  // to safepoint_ts for safepoint_ttl, or removed when stopped or safepoint_ttl is 0.
  std::string service_safepoint;  // "" = leave safepoints alone
  uint64_t safepoint_ts = 0;
  std::chrono::seconds safepoint_ttl{0};
  // nullopt: keep the task's credentials; empty: remove them; else replace them.
  std::optional<LogTaskCredentials> credentials;
};

// A node's flush report (LogCheckpointRequest).
struct LogCheckpointReport {
  std::string name;
  uint64_t store_id = 0;
  uint64_t checkpoint = 0;           // 0 with `error`: the store could not flush
  std::string error;                 // "" once it recovered
  int64_t task_create_revision = 0;  // > 0: refused if the task was re-created since
  // Moved to the new global checkpoint - 1 for safepoint_ttl in the same atomic step.
  std::string service_safepoint;
  std::chrono::seconds safepoint_ttl{0};
};

class LogTaskClient {
 public:
  explicit LogTaskClient(PdClient& pd) : pd_(pd) {}

  // Registers a new task (AlreadyExists if the name is taken), with its credentials if any.
  [[nodiscard]] Status Create(const std::string& name, const std::string& definition,
                              const LogTaskCredentials& credentials = {});
  [[nodiscard]] Status Update(const LogTaskUpdate& update);
  // The task as kvpd has it; found() is false when no task has that name.
  // `with_sealed_credentials`: also its sealed credentials (for kvnodes, which hold the key).
  [[nodiscard]] Result<LogTaskGetResponse> Get(const std::string& name,
                                               bool with_sealed_credentials = false);
  // The names of every registered task (stopped ones included).
  [[nodiscard]] Result<std::vector<std::string>> List();
  // Forgets a task: its definition, credentials and checkpoints.
  [[nodiscard]] Status Delete(const std::string& name);
  // Returns the task's global checkpoint after the report.
  [[nodiscard]] Result<uint64_t> ReportCheckpoint(const LogCheckpointReport& report);

 private:
  [[nodiscard]] Status Put(const LogTaskPutRequest& req);
  PdClient& pd_;
};

}  // namespace brix::cluster
