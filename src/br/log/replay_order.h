// ReplayWindow: puts logged versions into an order in which PITR may apply them without ever
// giving a key an older version after a newer one (docs/backup.md, "Point-in-time recovery").
//
// Why it matters: the target stores every version by (key, ts), so for reads the order of
// arrival does not matter — but GC judges a key by the versions present when it runs, and a
// delete marker that is the newest version below the safepoint is dropped with everything older.
// If an older put of that key arrived afterwards it would be live again. PITR pauses GC on the
// target (cluster/pd/gc_pause.h) and, on top of that, applies each key's versions in ts order.
//
// Protocol: feed the files in ascending min_ts (SortForReplay); after feeding file i, every
// buffered entry with ts < min_ts of file i+1 can be applied — no later file holds an older
// version — and TakeBelow() hands them out sorted by ts. Applying each batch completely before
// the next, and each key's part of a batch in the order given, keeps every key in ts order.
// Memory: the entries at or above the next file's min_ts stay buffered (one flush interval of
// every store, or a lagging store's catch-up file).
#pragma once

#include <cstdint>
#include <vector>

#include "br/proto/log.pb.h"

namespace brix::br {

// Ascending min_ts, then max_ts, then name (a stable, replayable order).
void SortForReplay(std::vector<LogFile>& files);

class ReplayWindow {
 public:
  void Add(LogEntry entry);
  size_t buffered_bytes() const { return bytes_; }
  size_t buffered() const { return entries_.size(); }
  // Removes the buffered entries with ts < watermark and returns them in ts order (stable for
  // equal ts).
  std::vector<LogEntry> TakeBelow(uint64_t watermark);

 private:
  std::vector<LogEntry> entries_;
  size_t bytes_ = 0;
};

}  // namespace brix::br
