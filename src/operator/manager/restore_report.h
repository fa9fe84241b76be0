// How a restore's measured phases and a dry-run's plan are shown: the JSON a Restore's status
// holds (status.phases, status.plan; docs/backup.md#restore-estimates) and `brix restore ...
// --output json` prints, and the text lines `brix restore` prints. One owner of both shapes: the
// /ui/ page and the CLI read the same fields.
//
//   status.phases[]  {name, bytes, seconds, bytesPerSecond}
//   status.plan      {kind, snapshot: {path, ts}, restoredTs, snapshotFiles, tables,
//                     compactions[] {name, fromTs, untilTs, ssts, bytes},
//                     logFiles[] (the first kPlanLogFileNames names), logFilesTotal,
//                     phases[] {name, bytes, criticalBytes, bytesPerSecond, overheadSeconds,
//                     estimatedSeconds, measuredRuns}, overheadSeconds, estimatedSeconds, rates}
// Timestamps are TSO numbers as strings, as status.commitTs. rates: "measured (N restores)" or
// "default calibration" (the cluster never restored).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "br/restore_plan.h"

namespace brix::manager {

inline constexpr size_t kPlanLogFileNames = 100;

nlohmann::json PhasesJson(const std::vector<br::PhaseMeasure>& phases);
nlohmann::json PlanJson(const br::RestorePlan& plan);

// "Phases: download 12.0 MiB in 0.41s (29.3 MiB/s), ingest ..."
std::string PhasesText(const std::vector<br::PhaseMeasure>& phases);
// Several lines, ending with "Estimated restore time: 12.3s (measured (3 restores))".
std::string PlanText(const br::RestorePlan& plan);

}  // namespace brix::manager
