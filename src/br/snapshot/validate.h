// `brix validate`: re-reads a snapshot backup and checks it against its backupmeta.
#pragma once

#include <string>
#include <vector>

#include "common/env.h"
#include "common/result.h"

namespace brix::br {

struct ValidateReport {
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::vector<std::string> problems;  // one line each, naming the file or table
  bool ok() const { return problems.empty(); }
};

// Downloads every file the backupmeta names and checks its size, SHA-256, SST block checksums
// and kv checksum (crc64xor, kvs, bytes), then each table's checksum against its files (for a
// full backup). A missing or unreadable backupmeta is an error, not a report.
[[nodiscard]] Result<ValidateReport> ValidateBackup(const std::string& storage_url,
                                                    const EnvLookup& env, int concurrency = 8);

}  // namespace brix::br
