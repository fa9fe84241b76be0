// The node side of PITR log replay (docs/backup.md, "Point-in-time recovery"), inside every
// kvnode; NodeLogService (node_log.h) serves it.
//
// StageVersions + FinishReplay, the way a PITR replays: the target is empty and unpublished, so
// the replay needs no write path (no WAL, no memtable). A run (one PITR, named by the coordinator)
// hands the node its regions' versions in batches, in any order, MVCC-encoded as the node sorts
// them (node_replay_batch.h; the older repeated LogEntry form is encoded so on arrival). The node
// checks each batch's region (id, epoch, every key inside) and keeps the batch's bytes with a view
// of each version (no per-version object); every kReplaySpillBytes (bytes plus views) it sorts the
// views with the MVCC comparator into an uncompressed SST run in <work_dir>/replay/<run>/ (read
// once by the merge). FinishReplay(ingest) first checks that every batch the coordinator saw
// acknowledged is here (a node that restarted lost them and says so), then, if nothing spilled,
// sorts the buffer once straight into the SSTs it ingests, else merges the runs into them —
// non-overlapping, LZ4, one copy of each (key, ts): a retried batch is harmless — and ingests
// them all in one atomic RocksDB ingest. So nothing of a run is visible
// before it is complete, and each key receives all its logged versions at once (the order in
// which GC could see them does not exist). FinishReplay(!ingest) drops the run.
// Memory: per run at most two buffers of kReplaySpillBytes (one filling while one is sorted and
// written; a batch that finds both busy waits), plus the merge's one block per run file.
// Disk: the run's versions twice while merging (runs, then merged files), until the ingest.
// Staged files of runs that never finished are removed when the node starts, and a run idle for
// kReplayIdleTimeout is dropped (its coordinator is gone; a late FinishReplay fails).
//
// ApplyVersions: writes versions through the store (WAL, memtable); what coordinators used
// before StageVersions. Kept so that they still work.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "br/proto/log.pb.h"
#include "cluster/node/node_server.h"

namespace brix::br {

inline constexpr size_t kReplaySpillBytes = 64 << 20;
inline constexpr std::chrono::hours kReplayIdleTimeout{24};

class NodeReplay {
 public:
  // Removes staged files of an earlier life. `spill_bytes`: the buffer bound (tests lower it).
  explicit NodeReplay(cluster::NodeContext* node, size_t spill_bytes = kReplaySpillBytes);
  ~NodeReplay();
  NodeReplay(const NodeReplay&) = delete;
  NodeReplay& operator=(const NodeReplay&) = delete;

  grpc::Status ApplyVersions(const ApplyVersionsRequest& req, ApplyVersionsResponse* resp);
  grpc::Status StageVersions(const StageVersionsRequest& req, StageVersionsResponse* resp);
  grpc::Status FinishReplay(const FinishReplayRequest& req, FinishReplayResponse* resp);

 private:
  struct Run;
  std::shared_ptr<Run> FindRun(const std::string& id, bool create);
  void DropRun(const std::string& id);

  cluster::NodeContext* node_;
  const size_t spill_bytes_;
  std::string dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Run>> runs_;
  std::set<std::string> finished_;  // runs finished or dropped: a late batch must not revive one
};

}  // namespace brix::br
