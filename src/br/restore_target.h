// What a cluster must satisfy before a restore or a PITR writes into it, beyond the per-table
// checks of each: shared by both so that they refuse alike.
#pragma once

#include "cluster/client/pd_client.h"
#include "common/result.h"

namespace brix::br {

// Refuses a target with a log backup task that is not stopped. Restored data are ingested and
// replayed with their old commit ts, past the write observers, so the task would not log them
// and a later PITR of that cluster would silently miss them (BR refuses the same way).
[[nodiscard]] Status CheckNoActiveLogBackup(cluster::PdClient& pd);

}  // namespace brix::br
