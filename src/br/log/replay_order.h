// The order in which PITR fetches raw log files: a stable one, so that two runs over the same log
// read it the same way. The order in which versions reach the store no longer depends on it:
// each node ingests all its staged versions at once (node_replay.h), so no key can ever receive
// an older version after a newer one — what GC would judge wrongly (a delete marker that is the
// newest version below the safepoint is dropped with everything older; an older put arriving
// afterwards would be live again).
#pragma once

#include <vector>

#include "br/proto/log.pb.h"

namespace brix::br {

// Ascending min_ts, then max_ts, then name.
void SortForReplay(std::vector<LogFile>& files);

}  // namespace brix::br
