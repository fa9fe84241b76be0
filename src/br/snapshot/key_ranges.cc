#include "br/snapshot/key_ranges.h"

#include <algorithm>

namespace brix::br {

std::vector<KeyRange> SubtractRanges(const std::vector<KeyRange>& ranges,
                                     const std::map<std::string, std::string>& done) {
  std::vector<KeyRange> out;
  for (const auto& r : ranges) {
    std::string cursor = r.start;
    auto it = done.upper_bound(cursor);
    if (it != done.begin()) --it;
    for (; it != done.end() && it->first < r.end; ++it) {
      if (it->second <= cursor) continue;
      if (it->first > cursor) out.push_back({cursor, it->first, r.table_id});
      cursor = std::max(cursor, it->second);
    }
    if (cursor < r.end) out.push_back({cursor, r.end, r.table_id});
  }
  return out;
}

}  // namespace brix::br
