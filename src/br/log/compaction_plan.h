// The pure decisions of `brix log compact` (compaction.h), apart from any storage so they can be
// tested on their own: where a compaction lives, which log files it takes, how they are grouped
// into sorted runs, how the key space is cut into ranges merged in parallel, how versions are
// ordered, and where SSTs are cut. compaction.cc does the I/O (compaction_runs.h the local runs).
//
//   CompactionDir          v1/compactions/<name>_<16 hex of sha256(name/from/until)>/: the same
//                          (name, from, until) always lands in the same folder (re-runs resume)
//   SelectCompactionInputs the files holding a version in [from, until] (both ends inclusive),
//                          sorted by name; a file is taken once per meta that lists it
//   GroupRunInputs         consecutive inputs (plan order) whose raw sizes sum to at most
//                          `run_raw_bytes` form one sorted run; a bigger file is a run alone
//   RunWorkers             how many runs are sorted at once: at most `concurrency`, and at most
//                          `budget / (2.5 * largest run's raw bytes)` (a run being sorted holds its
//                          files decompressed, the largest stored file, and a 48-byte view per
//                          version: about 2x its raw bytes with kilobyte values, up to 2.5x with
//                          small ones)
//   PlanRanges             the key ranges merged in parallel, from samples of the runs: never
//                          spanning two tables, a table cut into ranges of about `target_bytes`
//                          at sampled user keys; the same samples always give the same ranges
//   SortVersions           (key ascending, ts descending): the MVCC order of an SST
//   IsSameVersion          the same (key, ts) twice, which a re-scanned file yields
//   ShouldCutSst           a new SST starts once `bytes` reach the cut size, never inside a key
//   BytesCompactedEstimate the progress estimate: bytes_to_compact * completed / total, capped
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "br/proto/log.pb.h"

namespace brix::br {

inline constexpr uint64_t kCompactionSstCutBytes = 128ull << 20;
// A range merged by one task: about one output SST.
inline constexpr uint64_t kCompactionRangeBytes = kCompactionSstCutBytes;
// Raw (decompressed) log bytes sorted into one local run.
inline constexpr uint64_t kCompactionRunRawBytes = 32ull << 20;
// What the runs being sorted at once may hold (RunWorkers).
inline constexpr uint64_t kCompactionSortMemoryBytes = 384ull << 20;

// One MVCC version read from a raw log file: views into the decompressed file, which the holder
// of the versions keeps.
struct CompactVersion {
  std::string_view key;
  uint64_t ts = 0;
  bool is_delete = false;
  std::string_view value;
};

std::string CompactionDir(const std::string& name, uint64_t from_ts, uint64_t until_ts);

std::vector<LogFile> SelectCompactionInputs(const std::vector<LogMeta>& metas, uint64_t from_ts,
                                            uint64_t until_ts);

// Indexes into `inputs`, one vector per run.
std::vector<std::vector<size_t>> GroupRunInputs(const std::vector<LogFile>& inputs,
                                                uint64_t run_raw_bytes = kCompactionRunRawBytes);

int RunWorkers(int concurrency, uint64_t largest_run_raw_bytes,
               uint64_t budget = kCompactionSortMemoryBytes);

// A user key at which a run's records of a new user key begin, and the record bytes from there to
// the run's next sample (or its end).
struct RangeSample {
  std::string key;
  uint64_t bytes = 0;
};

// User keys [start, end) of one table; end empty: to the end of the table.
struct CompactRange {
  int64_t table_id = 0;
  std::string start;
  std::string end;
  uint64_t bytes = 0;  // estimated from the samples
  int index = 0;       // of this range within its table (names its meta)
};

// Samples of non-table keys are ignored.
std::vector<CompactRange> PlanRanges(std::vector<RangeSample> samples,
                                     uint64_t target_bytes = kCompactionRangeBytes);

// Whether a user key lies in `r`.
bool InRange(const CompactRange& r, std::string_view user_key);

void SortVersions(std::vector<CompactVersion>* versions);

inline bool IsSameVersion(const CompactVersion& a, const CompactVersion& b) {
  return a.key == b.key && a.ts == b.ts;
}

inline bool ShouldCutSst(uint64_t bytes_in_sst, std::string_view last_key,
                         std::string_view next_key, uint64_t cut_bytes = kCompactionSstCutBytes) {
  return bytes_in_sst >= cut_bytes && next_key != last_key;
}

uint64_t BytesCompactedEstimate(uint64_t bytes_to_compact, uint64_t work_completed,
                                uint64_t work_total);

}  // namespace brix::br
