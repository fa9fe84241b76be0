// `brix log truncate` and `brix log metadata` (docs/format/log.md#truncation-bounds).
#pragma once

#include <string>

#include "br/log/log_files.h"
#include "common/env.h"
#include "common/result.h"

namespace brix::br {

struct TruncateSummary {
  uint64_t until = 0;
  uint64_t files_removed = 0;
  uint64_t bytes_removed = 0;
  uint64_t metas_removed = 0;
  uint64_t metas_rewritten = 0;
  uint64_t compactions_removed = 0;
};

// Removes every log data file whose versions are all older than `until` (no restore to a point
// ≥ until needs them). `until` must not pass the global checkpoint. Order keeps the location
// valid at every step, also while nodes keep flushing: the new lower bound is recorded first,
// then each meta is rewritten (or deleted) before the files it stops naming are deleted. The
// bound only rises, also when truncations run concurrently (RecordTruncationBound).
[[nodiscard]] Result<TruncateSummary> TruncateLog(const std::string& storage_url, uint64_t until,
                                                  const EnvLookup& env = ProcessEnv());

// The restorable range of a log location (LogRange::compactions lists its compactions).
[[nodiscard]] Result<LogRange> LogMetadata(const std::string& storage_url,
                                           const EnvLookup& env = ProcessEnv());

}  // namespace brix::br
