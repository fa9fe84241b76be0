// `brix log compact` (docs/format/compaction.md): turns a window of raw log files into sorted SSTs
// that PITR ingests instead of replaying.
//
// --until past the global checkpoint is refused: versions of the window may still be arriving.
// Inputs are the log files holding at least one version in [from, until], listed once and
// written as the `plan` before any output; a re-run of the same compaction (name, from, until)
// resumes exactly that plan, never a new listing. All records of the inputs are kept (PITR
// filters by ts), grouped by table, sorted by (key, ts desc), de-duplicated and written as
// MVCC-encoded SSTs under v1/compactions/<name>_<hash>/outputs/. Each table's result is recorded
// in metas/<table>.cmeta as soon as it is uploaded — a re-run after kill -9 or a failure reuses
// those — and compaction.meta, naming the plan's inputs and every output, is written last: a
// compaction without it does not exist. Raw files are never deleted here (truncate does).
// plan, metas/* and compaction.meta are sealed metadata (br/meta_seal.h): a damaged one is
// refused, named. A log location inside or around another brix location is refused
// (br/location.h).
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
  uint64_t work_completed = 0, work_total = 0;  // tables (subcompactions)
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
