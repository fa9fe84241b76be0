// Where a log backup's progress comes from: kvpd's log-task registry (docs: the global
// checkpoint is the minimum over stores, kept by kvpd, next to each store's last flush error).
// The task is named after the Backup.
#pragma once

#include <string>

#include "br/engine.h"
#include "common/result.h"

namespace brix::controller {

// Log task `task` on the cluster at `pd`: its global checkpoint TSO (0 when no store has
// reported yet) and the stores whose last flush failed. NotFound when no such task is
// registered. Connections are kept per cluster and reused across the periodic reads.
[[nodiscard]] Result<br::LogTaskStatus> KvpdLogProgress(const std::string& pd,
                                                        const std::string& task);

}  // namespace brix::controller
