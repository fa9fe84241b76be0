// `brix validate --storage LOG_URL`: re-reads a log location — every data file its metas name
// (SHA-256, decodes) and every compaction output (SHA-256, SST checksums, kv checksum).
#pragma once

#include <string>

#include "br/snapshot/validate.h"

namespace brix::br {

[[nodiscard]] Result<ValidateReport> ValidateLogLocation(const std::string& storage_url,
                                                         const EnvLookup& env, int concurrency = 8);

}  // namespace brix::br
