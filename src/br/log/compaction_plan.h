// The pure decisions of `brix log compact` (compaction.h), apart from any storage so they can be
// tested on their own: where a compaction lives, which log files it takes, how their versions
// are grouped by table and ordered, and where SSTs are cut. compaction.cc does the I/O.
//
//   CompactionDir          v1/compactions/<name>_<16 hex of sha256(name/from/until)>/: the same
//                          (name, from, until) always lands in the same folder (re-runs resume)
//   SelectCompactionInputs the files holding a version in [from, until] (both ends inclusive),
//                          sorted by name; a file is taken once per meta that lists it
//   GroupVersionsByTable   a batch's entries by table id; keys outside any table and tables
//                          in `skip` (finished by an earlier attempt) are dropped
//   SortVersions           (key ascending, ts descending): the MVCC order of an SST
//   IsSameVersion          the same (key, ts) twice, which a re-scanned file yields
//   ShouldCutSst           a new SST starts once `bytes` reach the cut size, never inside a key
//   BytesCompactedEstimate the progress estimate: bytes_to_compact * completed / total, capped
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "br/proto/log.pb.h"

namespace brix::br {

inline constexpr uint64_t kCompactionSstCutBytes = 64ull << 20;

// One MVCC version read from a raw log file.
struct CompactVersion {
  std::string key;
  uint64_t ts = 0;
  bool is_delete = false;
  std::string value;
};

std::string CompactionDir(const std::string& name, uint64_t from_ts, uint64_t until_ts);

std::vector<LogFile> SelectCompactionInputs(const std::vector<LogMeta>& metas, uint64_t from_ts,
                                            uint64_t until_ts);

// Moves the entries out of `batch`.
std::map<int64_t, std::vector<CompactVersion>> GroupVersionsByTable(LogBatch& batch,
                                                                    const std::set<int64_t>& skip);

void SortVersions(std::vector<CompactVersion>* versions);

inline bool IsSameVersion(const CompactVersion& a, const CompactVersion& b) {
  return a.key == b.key && a.ts == b.ts;
}

inline bool ShouldCutSst(uint64_t bytes_in_sst, const std::string& last_key,
                         const std::string& next_key, uint64_t cut_bytes = kCompactionSstCutBytes) {
  return bytes_in_sst >= cut_bytes && next_key != last_key;
}

uint64_t BytesCompactedEstimate(uint64_t bytes_to_compact, uint64_t work_completed,
                                uint64_t work_total);

}  // namespace brix::br
