// Key ranges of a snapshot backup and what is left of them after a checkpoint: an interrupted
// backup resumes with `ranges` minus the ranges it already finished (backup.cc). Pure, so it is
// tested on its own (key_ranges_test.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace brix::br {

struct KeyRange {
  std::string start, end;  // [start, end), both finite
  int64_t table_id = 0;

  bool operator==(const KeyRange&) const = default;
};

// `ranges` minus `done` (finished [start -> end) ranges, keyed by start and disjoint). Each
// result keeps its source range's table id; `ranges` must be sorted for the result to be.
// Pieces are never empty: a range wholly covered disappears, touching ranges split cleanly.
std::vector<KeyRange> SubtractRanges(const std::vector<KeyRange>& ranges,
                                     const std::map<std::string, std::string>& done);

}  // namespace brix::br
