// Snapshot restore (docs/backup.md): the coordinator side of `brix restore full|db|table`.
//
// RunRestore reads the backupmeta and checks everything it can before touching the target
// (meta present and complete, files present with their recorded sizes, tables absent for a full
// backup, the previous link restored for an incremental one). It allocates table ids in the
// target, has each target node download the files overlapping its regions (SHA-256 verified,
// table prefixes rewritten where the id changed, clipped to the region; a file that needs no
// change is staged as it is) and only when every download succeeded asks the nodes to ingest.
// GC is paused on every target node before the first byte enters a store and until the end: the
// pause is acquired while the ids are allocated and the files are staged (staging writes nothing
// into a store) and waited for before the ingest (or the caller's pause is used: RestoreOptions::
// gc_pause). Then the target TSO is advanced past the backup
// ts, the table checksums (read under the new, still unpublished ids) are compared with the
// backupmeta, and only then are the tables published in the catalog, in one atomic write (the
// commit point). A run that fails leaves its data under ids that are never handed out again (kvpd
// allocates every id once), so nothing of it can ever become visible.
//
// The files restored are SelectSnapshot's (br/restore_plan.h: what a dry-run names); the run
// measures its phases (download, ingest, checksum) and, when it publishes, keeps them in the
// target's restore rates in the publishing write (br/restore_rates.h).
//
// Refused before anything is written: a target with a log backup task that is not stopped
// (br/restore_target.h), tables that exist (full backup), a missing link (incremental).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "br/progress.h"
#include "br/restore_rates.h"
#include "br/snapshot/node_channel.h"
#include "cluster/catalog.h"
#include "common/env.h"
#include "common/result.h"

namespace brix::cluster {
class GcPauseHold;
}

namespace brix::br {

struct RestoreOptions {
  std::string pd;
  std::string storage_url;
  std::vector<std::string> filter;  // as BackupOptions::filter; empty = all tables in the backup
  int concurrency = 8;              // files in flight per node
  double ratelimit_mib = 0;         // download MiB/s per node; 0 = unlimited
  bool checksum = true;
  bool send_credentials = true;
  // false: stop before the commit point and hand the catalog write to the caller (PITR
  // publishes the snapshot's tables together with the log's, once the replay succeeded).
  bool publish = true;
  // A GC pause the caller already holds on the target for longer than the whole run (PITR holds
  // one until its own publish): the restore checks it instead of acquiring its own, which would
  // wait for every node's heartbeat a second time. Null: the restore pauses GC itself.
  const cluster::GcPauseHold* gc_pause = nullptr;
  EnvLookup env = ProcessEnv();
  NodeRpcLimits node_rpc;  // deadlines of Download and Ingest (node_channel.h)
};

struct RestoreSummary {
  uint64_t backup_ts = 0;
  uint64_t files = 0;
  uint64_t files_as_is = 0;  // downloads staged unchanged (restored table id = the source's)
  uint64_t total_kvs = 0;
  uint64_t total_bytes = 0;
  uint64_t tables = 0;
  double seconds = 0;
  // Per phase (download, ingest, checksum): the plan's bytes, the measured seconds
  // (br/restore_rates.h). With publish, the run's rates are kept in the target with the publish.
  std::vector<PhaseMeasure> phases;
  // With publish = false: the tables to publish and what to write with them.
  std::vector<cluster::TableRef> unpublished;
  std::vector<cluster::KvMutation> publish_with;
};

[[nodiscard]] Result<RestoreSummary> RunRestore(const RestoreOptions& options,
                                                const ProgressFn& progress = {});

}  // namespace brix::br
