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

void ReplayWindow::Add(LogEntry entry) {
  bytes_ += entry.ByteSizeLong();
  entries_.push_back(std::move(entry));
}

std::vector<LogEntry> ReplayWindow::TakeBelow(uint64_t watermark) {
  auto split = std::stable_partition(entries_.begin(), entries_.end(),
                                     [&](const LogEntry& e) { return e.ts() < watermark; });
  std::vector<LogEntry> ready(std::make_move_iterator(entries_.begin()),
                              std::make_move_iterator(split));
  entries_.erase(entries_.begin(), split);
  bytes_ = 0;
  for (const auto& e : entries_) bytes_ += e.ByteSizeLong();
  std::stable_sort(ready.begin(), ready.end(),
                   [](const LogEntry& a, const LogEntry& b) { return a.ts() < b.ts(); });
  return ready;
}

}  // namespace brix::br
