#include "br/log/replay_order.h"

#include <algorithm>

namespace brix::br {

void SortForReplay(std::vector<LogFile>& files) {
  std::sort(files.begin(), files.end(), [](const LogFile& a, const LogFile& b) {
    if (a.min_ts() != b.min_ts()) return a.min_ts() < b.min_ts();
    if (a.max_ts() != b.max_ts()) return a.max_ts() < b.max_ts();
    return a.name() < b.name();
  });
}

}  // namespace brix::br
