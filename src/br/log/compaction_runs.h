// Sorted runs: the local, temporary spill files of `brix log compact` (compaction.h), and the
// k-way merge of one key range over them.
//
// A run is the versions of a few log files (compaction_plan.h GroupRunInputs), sorted by
// (user key ascending, ts descending) and written to a local file as records
//   u32 key length ‖ u32 value length ‖ MVCC-encoded key ‖ MVCC-stored value   (host order)
// with equal versions kept (the merge drops and counts them). While writing, a sample
// (compaction_plan.h RangeSample plus its file offset) is taken at the first record of each table
// and then at the first record of a user key once `sample_bytes` were written since the last one:
// the samples plan the ranges, and a range's merge starts each run at the last sample at or below
// the range's start, so it reads at most `sample_bytes` it does not need.
//
// Why not RocksDB SSTs for runs: an SST refuses equal keys, and the merge must see duplicates to
// count them per range; runs are written once and read sequentially within one process, so a
// plain record file is enough. Memory: a cursor holds a 64 KiB read buffer and one record.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "br/log/compaction_plan.h"
#include "common/result.h"

namespace brix::br {

inline constexpr uint64_t kCompactionSampleBytes = 1ull << 20;

struct RunSample {
  RangeSample sample;
  uint64_t offset = 0;
};

struct SortedRun {
  std::string path;
  std::vector<RunSample> samples;  // in key order
  uint64_t records = 0;
};

// Sorts `versions` (SortVersions) and writes them to `path`; clears `versions`.
[[nodiscard]] Result<SortedRun> WriteSortedRun(std::vector<CompactVersion>* versions,
                                               const std::string& path,
                                               uint64_t sample_bytes = kCompactionSampleBytes);

// One distinct version of a merge, MVCC-encoded.
struct MergedVersion {
  std::string_view encoded_key;
  std::string_view stored_value;
  std::string_view user_key;
  uint64_t ts = 0;
};

// Calls `emit` for every version in `range` of the runs, in MVCC order (key ascending, ts
// descending), each (key, ts) once; `*duplicates` counts the copies dropped.
[[nodiscard]] Status MergeRuns(const std::vector<SortedRun>& runs, const CompactRange& range,
                               const std::function<Status(const MergedVersion&)>& emit,
                               uint64_t* duplicates);

}  // namespace brix::br
