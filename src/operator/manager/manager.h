// `brix manager`: the process a Job runs (docs/architecture.md#control-plane). It reads its CR
// through the API, runs the engine in process and writes phase, conditions, progress and results
// into the CR's status, as TiDB Operator's backup-manager does (docs/controllers.md). Credentials
// come from the environment (the job runner fills it from the Secret) and never reach a status, a
// log line or an argument. A Restore records its measured phases (status.phases); one with
// spec.dryRun only plans (status.plan, reason DryRun) and restores nothing
// (operator/manager/restore_report.h).
#pragma once

#include <string>

#include "br/engine.h"
#include "common/env.h"
#include "operator/api/types.h"
#include "operator/client/api_client.h"
#include "operator/manager/spec_options.h"

namespace brix::manager {

// The BR engine the manager runs (br/engine.h); tests substitute single operations.
using Engine = br::Engine;

struct ManagerRequest {
  std::string kind;  // backup, restore, compact, clean
  std::string ns, name;
  std::string subcommand;      // backup of a log Backup: log-start, log-pause, ...
  std::string truncate_until;  // log-truncate
};

// Runs one request to its end. OK when the work succeeded (the CR says Complete, or Clean for
// clean); otherwise the error, which the CR's status also records.
[[nodiscard]] Status RunManager(client::ApiClient& api, const Engine& engine,
                                const ManagerRequest& request, const EnvLookup& env);

// Finds a compaction progress report in one line of `brix log compact` (or tikv-ctl JSON) output:
// "[READ_META(17/17),COMPACT_WORK(1291/1291)]". nullopt when the line has none.
std::optional<std::string> CompactProgressIn(const std::string& line);

}  // namespace brix::manager
