// Snapshot backup (docs/backup.md, docs/format/snapshot.md): the coordinator side of `brix backup
// full|db|table`.
//
// RunBackup picks the backup ts, holds a service safepoint at it for the whole run, refuses a
// location that already holds a backupmeta or lies inside or around another brix location
// (br/location.h), marks the location with backup.lock (naming the run), and asks every
// node to back up its regions of the selected tables at that ts. Nodes write SST files straight
// to the storage and return their descriptions; the coordinator records finished ranges in a
// checkpoint, retries failed or moved ranges, and writes `backupmeta` last: a location without
// it holds no backup. Data files go under the run's folder (RunFolder); after the commit the
// cleanup deletes only files in that folder that the backupmeta does not name.
//
// Resume: run again with the same arguments after an interruption (kill -9 of brix or of a node)
// and only unfinished ranges are redone; the backup ts of the first run is reused.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "br/progress.h"
#include "br/snapshot/node_channel.h"
#include "common/env.h"
#include "common/result.h"

namespace brix::br {

struct BackupOptions {
  std::string pd;           // kvpd addresses "h:p[,h:p]"
  std::string storage_url;  // local path, local://, azure://container/prefix?...
  // TiDB table-filter rules; empty = every table. `brix backup db --db D` passes {"D.*"},
  // `table --db D --table T` passes {"D.T"}.
  std::vector<std::string> filter;
  uint64_t backup_ts = 0;                 // 0 = a fresh ts from kvpd
  std::chrono::milliseconds time_ago{0};  // shifts the physical part of the chosen ts back
  uint64_t last_backup_ts = 0;            // > 0: incremental, every version in (last, backup]
  int concurrency = 4;                    // ranges in flight per node
  double ratelimit_mib = 0;               // MiB/s of uploaded bytes per node; 0 = unlimited
  bool checksum = true;                   // compare file checksums with a cluster checksum
  std::string compression = "zstd";       // zstd | lz4 | none
  bool send_credentials = true;           // false: nodes use their own environment
  uint64_t sst_max_bytes = 96ull << 20;   // cut files at this many logical bytes
  EnvLookup env = ProcessEnv();           // storage credentials of the coordinator
  NodeRpcLimits node_rpc;                 // a node stream silent for node_rpc.stall is retried
  // The backup fails after this long without any range finishing (every node silent or failing).
  std::chrono::milliseconds no_progress_limit{120'000};
  // Called with the run id once the run owns the location (its backup.lock is written, or an
  // interrupted run's lock is resumed) and before any data file is written. An error stops the
  // run; the lock stays, so the same arguments resume it.
  std::function<Status(const std::string& run_id)> on_owned;
};

struct BackupSummary {
  uint64_t backup_ts = 0;
  uint64_t last_backup_ts = 0;
  uint64_t files = 0;
  uint64_t total_kvs = 0;
  uint64_t total_bytes = 0;  // logical: key + value bytes
  uint64_t backup_size = 0;  // stored bytes (compressed SSTs)
  uint64_t tables = 0;
  double seconds = 0;
  bool resumed = false;  // continued an interrupted run
};

[[nodiscard]] Result<BackupSummary> RunBackup(const BackupOptions& options,
                                              const ProgressFn& progress = {});

}  // namespace brix::br
