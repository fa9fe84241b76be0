// Restore rates (docs/backup.md#restore-estimates): what real restores measured per phase, kept
// in the target cluster, and the model a dry-run estimates a restore's duration with.
//
// A restore runs phases: download, ingest and checksum (snapshot restore; PITR runs them for its
// snapshot) and replay (PITR: the log's compacted SSTs and raw files). Each is measured as
// (bytes, seconds); the bytes are the plan's (br/restore_plan.h), so a dry-run's bytes and a
// run's are the same numbers. Model per phase: seconds = overhead + bytes / rate, fitted by least
// squares over the last kFitRuns runs that ran the phase (one run, or sizes too alike to fit a
// line: a line through the origin; no run: kDefaultRates). The run's time outside its phases
// (checks, table ids, the GC pause wait, publish) is one fixed overhead per kind: the mean of the
// last runs' (kDefaultOverheadSeconds without any). The fit is hand-written: two parameters by
// least squares are a few lines, no library is needed for them.
//
// Where the rates live: in the target cluster, under the meta key m_br/restore_rates
// (RestoreRateHistory, proto/restore_rates.proto), written with the restore's commit write, so
// only a restore that published counts, and a dry-run from the CLI and one from a Restore CR's Job
// read the same history of the cluster they estimate for. Reading it writes nothing. Two restores
// committing at once may drop one's sample (last writer wins): harmless for an estimate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "br/proto/restore_rates.pb.h"
#include "cluster/client/kv_client.h"
#include "common/result.h"

namespace brix::br {

inline constexpr char kPhaseDownload[] = "download";
inline constexpr char kPhaseIngest[] = "ingest";
inline constexpr char kPhaseChecksum[] = "checksum";
inline constexpr char kPhaseReplay[] = "replay";
inline constexpr size_t kFitRuns = 5;           // runs a phase's fit uses (the newest)
inline constexpr size_t kRateHistoryRuns = 16;  // runs kept in the cluster
inline constexpr double kDefaultOverheadSeconds = 1.0;

// The calibration a cluster that never restored gets: bytes per second per phase (rough figures
// of a playground on one machine; docs/backup.md#restore-estimates).
struct DefaultRate {
  const char* phase;
  double bytes_per_second;
};
inline constexpr DefaultRate kDefaultRates[] = {
    {kPhaseDownload, 100e6}, {kPhaseIngest, 200e6}, {kPhaseChecksum, 100e6}, {kPhaseReplay, 20e6}};

// One measured phase of a run (RestoreSummary::phases, PitrSummary::phases).
struct PhaseMeasure {
  std::string name;
  uint64_t bytes = 0;
  double seconds = 0;
  double BytesPerSecond() const { return seconds > 0 ? static_cast<double>(bytes) / seconds : 0; }
};

// One estimated phase of a plan.
struct PhaseEstimate {
  std::string name;
  uint64_t bytes = 0;
  double seconds = 0;           // overhead + bytes / bytes_per_second
  double bytes_per_second = 0;  // the fitted rate
  double overhead_seconds = 0;  // the fitted fixed part
  size_t runs = 0;              // measured runs behind the fit; 0 = default calibration
};

struct RestoreEstimate {
  std::vector<PhaseEstimate> phases;
  double overhead_seconds = 0;  // outside the phases
  double total_seconds = 0;
  size_t runs = 0;  // runs in the cluster's history (0: every figure is the default calibration)
};

// Estimates a `kind` ("full" or "point") restore of the planned bytes per phase (their seconds
// are ignored) from the history.
RestoreEstimate EstimateRestore(const RestoreRateHistory& history, const std::string& kind,
                                const std::vector<PhaseMeasure>& planned);

// The history kept in the target cluster at ts (empty when it never restored).
[[nodiscard]] Result<RestoreRateHistory> ReadRateHistory(cluster::KvClient& kv, uint64_t ts);

// The write that adds a run to the history (trimmed to the newest kRateHistoryRuns); the caller
// puts it into its commit write.
cluster::KvMutation RateHistoryMutation(RestoreRateHistory history, const std::string& kind,
                                        double seconds, const std::vector<PhaseMeasure>& phases);

}  // namespace brix::br
