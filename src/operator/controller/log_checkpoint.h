// Where a log backup's checkpoint comes from: kvpd's log-task registry (DESIGN §5: the global
// checkpoint is the minimum over stores, kept by kvpd). The task is named after the Backup.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace brix::controller {

// The global checkpoint TSO of log task `task` on the cluster at `pd`. NotFound when no such
// task is registered; 0 when no store has reported yet.
[[nodiscard]] Result<uint64_t> KvpdLogCheckpoint(const std::string& pd, const std::string& task);

}  // namespace brix::controller
