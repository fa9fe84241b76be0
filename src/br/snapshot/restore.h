// Snapshot restore (DESIGN §4): the coordinator side of `brix restore full|db|table`.
//
// RunRestore reads the backupmeta and checks everything it can before touching the target
// (meta present and complete, files present with their recorded sizes, tables absent for a full
// backup, the previous link restored for an incremental one). It allocates table ids in the
// target, has each target node download the files overlapping its regions (SHA-256 verified,
// table prefixes rewritten, clipped to the region) and only when every download succeeded asks
// the nodes to ingest. Then the tables are published in the catalog, the target TSO is advanced
// past the backup ts, and table checksums are compared with the backupmeta.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "br/progress.h"
#include "br/snapshot/node_channel.h"
#include "common/env.h"
#include "common/result.h"

namespace brix::br {

struct RestoreOptions {
  std::string pd;
  std::string storage_url;
  std::vector<std::string> filter;  // as BackupOptions::filter; empty = all tables in the backup
  int concurrency = 8;              // files in flight per node
  double ratelimit_mib = 0;         // download MiB/s per node; 0 = unlimited
  bool checksum = true;
  bool send_credentials = true;
  EnvLookup env = ProcessEnv();
  NodeRpcLimits node_rpc;  // deadlines of Download and Ingest (node_channel.h)
};

struct RestoreSummary {
  uint64_t backup_ts = 0;
  uint64_t files = 0;
  uint64_t total_kvs = 0;
  uint64_t total_bytes = 0;
  uint64_t tables = 0;
  double seconds = 0;
};

[[nodiscard]] Result<RestoreSummary> RunRestore(const RestoreOptions& options,
                                                const ProgressFn& progress = {});

}  // namespace brix::br
