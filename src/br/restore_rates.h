// Restore rates (docs/backup.md#restore-estimates): what real restores measured per phase, kept
// in the target cluster, and the model a dry-run estimates a restore's duration with.
//
// A restore runs phases one after the other (they do not overlap: the downloads all finish
// before the ingest starts, the checksums read what was ingested): download, ingest and checksum
// (snapshot restore; PITR runs them for its snapshot) and replay (PITR: the log's compacted SSTs
// and raw files). A phase's work is items (download: a file, one stream each, `concurrency` in
// flight per node; ingest: a table's staged files; checksum: a table, one scan each; replay: an
// SST or a raw file) run a few at a time, so its time follows its critical path, not its total
// bytes: CriticalPathBytes is the busiest lane's bytes when the items, in the order the restore
// submits them, run RestoreLanes(concurrency) at a time — lanes capped at this machine's cores,
// since a stream is CPU-bound (hash, decode, key rewrite). Each phase is measured as (bytes,
// critical bytes, seconds); the bytes are the plan's (br/restore_plan.h), so a dry-run's and a
// run's are the same numbers. Model per phase: seconds = overhead + critical bytes / rate, fitted
// by least squares over the last kFitRuns runs that ran the phase (one run, or sizes too alike
// to fit a line: a line through the origin; no run: kDefaultRates). A history written before
// critical bytes were kept (critical_bytes 0) counts its total bytes instead. The run's time
// outside its phases (checks, table ids, the rest of the GC pause wait, advance ts, publish) is
// one fixed overhead per kind: the mean of the last runs' (kDefaultOverheadSeconds without any).
// The fit and the lane simulation are hand-written: two parameters by least squares and a greedy
// list schedule are a few lines, no library is needed for them.
//
// Where the rates live: in the target cluster, under the meta key m_br/restore_rates
// (RestoreRateHistory, proto/restore_rates.proto), written with the restore's commit write, so
// only a restore that published counts (or `brix restore calibrate`, br/restore_calibrate.h),
// and a dry-run from the CLI and one from a Restore CR's Job read the same history of the cluster
// they estimate for. Reading it writes nothing. Two restores committing at once may drop one's
// sample (last writer wins): harmless for an estimate.
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
  uint64_t critical_bytes = 0;  // the busiest lane's bytes (0: unknown, bytes is used)
  double BytesPerSecond() const { return seconds > 0 ? static_cast<double>(bytes) / seconds : 0; }
};

// One estimated phase of a plan.
struct PhaseEstimate {
  std::string name;
  uint64_t bytes = 0;
  uint64_t critical_bytes = 0;  // what the rate applies to
  double seconds = 0;           // overhead + critical_bytes / bytes_per_second
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

// The lanes a phase's items run in: min(concurrency, this machine's cores), at least 1.
size_t RestoreLanes(int concurrency);
// The busiest lane's bytes when `items` run in this order, each in the first lane to free up,
// `lanes` at a time (a greedy list schedule: what a TaskGroup of `lanes` does with equal rates).
uint64_t CriticalPathBytes(const std::vector<uint64_t>& items, size_t lanes);

// Estimates a `kind` ("full" or "point") restore of the planned bytes per phase (their seconds
// are ignored) from the history.
RestoreEstimate EstimateRestore(const RestoreRateHistory& history, const std::string& kind,
                                const std::vector<PhaseMeasure>& planned);

// The history kept in the target cluster at ts (empty when it never restored).
[[nodiscard]] Result<RestoreRateHistory> ReadRateHistory(cluster::KvClient& kv, uint64_t ts);

// The write that adds a run to the history (trimmed to the newest kRateHistoryRuns); the caller
// puts it into its commit write. `calibration`: a calibration run's (br/restore_calibrate.h).
cluster::KvMutation RateHistoryMutation(RestoreRateHistory history, const std::string& kind,
                                        double seconds, const std::vector<PhaseMeasure>& phases,
                                        bool calibration = false);

}  // namespace brix::br
