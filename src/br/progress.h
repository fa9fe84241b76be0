// Progress reporting shared by the BR engine's long operations (backup, restore and
// point-in-time recovery; compaction reports CompactProgress, br/log/compaction.h). The engine
// calls a ProgressFn; the CLI turns it into a progress bar on a terminal, and `brix manager` into
// CR status updates.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace brix::br {

struct Progress {
  std::string step;    // e.g. "backup", "checksum", "download", "ingest"
  uint64_t done = 0;   // units finished in this step
  uint64_t total = 0;  // units in this step (0 = unknown)
  uint64_t bytes = 0;  // bytes moved so far in this step
};

// Called from engine threads, possibly concurrently; must be cheap and thread-safe.
using ProgressFn = std::function<void(const Progress&)>;

}  // namespace brix::br
