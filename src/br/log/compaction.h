// `brix log compact` (docs/format/compaction.md): turns a window of raw log files into sorted SSTs
// that PITR ingests instead of replaying.
//
// --until past the global checkpoint is refused: versions of the window may still be arriving.
// Inputs are the log files holding at least one version in [from, until], listed once and
// written as the `plan` before any output; a re-run of the same compaction (name, from, until)
// resumes exactly that plan, never a new listing. All records of the inputs are kept (PITR
// filters by ts), de-duplicated and written as MVCC-encoded SSTs (sorted by key, ts desc) under
// v1/compactions/<name>_<hash>/outputs/, as a streaming external merge:
//   1. sort: the inputs are downloaded (verified) and decoded in parallel, a few files at a time
//      sorted into a local run file (compaction_runs.h) — no input is held after its run is
//      written;
//   2. ranges: samples of the runs cut the key space into ranges of about 128 MiB, never spanning
//      two tables (compaction_plan.h PlanRanges; the same inputs always give the same ranges);
//   3. merge: `concurrency` ranges at once, each a k-way merge of the runs cut into SSTs at
//      128 MiB between user keys, each SST streamed to the storage from its local file.
// Each range's result is recorded in metas/<table>_<n>.cmeta as soon as its SSTs are uploaded — a
// re-run after kill -9 or a failure re-sorts the inputs and reuses the ranges that have a meta
// with the same bounds — and compaction.meta, naming the plan's inputs and every output, is
// written last: a compaction without it does not exist. Raw files are never deleted here
// (truncate does). plan, metas/* and compaction.meta are sealed metadata (br/meta_seal.h): a
// damaged one is refused, named. A log location inside or around another brix location is
// refused (br/location.h).
//
// Memory is bounded, whatever the window's size: while sorting, at most RunWorkers runs are held,
// about 3x kCompactionRunRawBytes (32 MiB) each and within kCompactionSortMemoryBytes (384 MiB)
// (a single log file bigger than a run counts whole: writers cut them at 64 MiB raw); while
// merging, each of `concurrency` ranges holds a 64 KiB buffer per run plus one SST writer's index
// and block. Local disk: the runs, about the inputs' raw size, plus `concurrency` SSTs, in a temp
// folder removed at the end.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "br/proto/log.pb.h"
#include "common/env.h"
#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::br {

inline constexpr char kCompactionPrefix[] = "v1/compactions/";
inline constexpr char kCompactionPlanName[] = "plan";
inline constexpr char kCompactionMetaName[] = "compaction.meta";

struct CompactOptions {
  std::string storage_url;
  uint64_t from_ts = 0;
  uint64_t until_ts = 0;
  int concurrency = 4;
  std::string name = "compaction";
  EnvLookup env = ProcessEnv();
};

struct CompactProgress {
  uint64_t meta_completed = 0, meta_total = 0;
  uint64_t work_completed = 0, work_total = 0;  // key ranges (subcompactions)
  uint64_t bytes_compacted = 0, bytes_to_compact = 0;
  uint64_t input_max_ts = 0;
};
using CompactProgressFn = std::function<void(const CompactProgress&)>;

// One progress line as `brix log compact` prints it on stderr (and the CompactBackup
// controller parses): a JSON object with meta_completed, meta_total, bytes_compacted,
// bytes_to_compact, input_max_ts and "progress": "[READ_META(a/b),COMPACT_WORK(c/d)]".
std::string CompactProgressJson(const CompactProgress& p);

[[nodiscard]] Result<LogCompaction> CompactLog(const CompactOptions& options,
                                               const CompactProgressFn& progress = {});

// Every finished compaction of a log location.
[[nodiscard]] Result<std::vector<LogCompaction>> ReadCompactions(storage::ExternalStorage& storage);

// Deletes every compaction whose inputs are all older than `until` (meta first, then outputs).
[[nodiscard]] Result<uint64_t> DeleteCompactionsBelow(storage::ExternalStorage& storage,
                                                      uint64_t until);

}  // namespace brix::br
