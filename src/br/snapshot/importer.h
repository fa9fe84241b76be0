// Importer: puts backed-up SST files into a cluster the safe way (docs/backup.md), for snapshot
// restore and for PITR's compacted log SSTs.
//
// For each file it finds the target regions overlapping the file's (rewritten) key range and
// has each region's node download the file (`NodeBackup.Download`: size and SHA-256 verified,
// table prefix rewritten, clipped to the region, optionally filtered by ts) into a staged SST.
// Only when every download succeeded does it ask the nodes to ingest (Stage, then Ingest: a
// caller may do work between the two, e.g. restore waits for its GC pause there, since staging
// writes nothing into a store), so a corrupt or missing file stops the import with nothing
// visible. Transient failures are retried per download.
// Every Download and Ingest call has a deadline (node_channel.h): `limits`, with the throughput
// floor lowered to the per-download share of `ratelimit_mib`; a node that stops answering fails
// its downloads after their tries instead of hanging the import.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "br/progress.h"
#include "br/proto/backup.grpc.pb.h"
#include "br/snapshot/node_channel.h"
#include "cluster/client/pd_client.h"
#include "common/result.h"

namespace brix::br {

struct ImportFile {
  BackupFile file;
  RewriteRule rewrite;            // empty = keep keys as they are
  uint64_t min_ts_exclusive = 0;  // keep versions with min < ts ≤ max (0 = no bound)
  uint64_t max_ts = 0;
};

class Importer {
 public:
  // `concurrency` downloads in flight per node; `ratelimit_mib` per node (0 = unlimited).
  Importer(cluster::PdClient& pd, StorageTarget storage, int concurrency, double ratelimit_mib,
           const ProgressFn& progress, const NodeRpcLimits& limits = {});
  // Stage, then Ingest.
  [[nodiscard]] Status Run(const std::vector<ImportFile>& files);
  // Has the nodes download, verify and stage every file; nothing enters a store. A failure
  // leaves only staged files (removed when their node restarts).
  [[nodiscard]] Status Stage(const std::vector<ImportFile>& files);
  // Moves everything staged into the stores: one Ingest call per node, all its staged files in
  // one IngestExternalFile. Only after Stage succeeded.
  [[nodiscard]] Status Ingest();
  uint64_t bytes() const { return bytes_done_; }
  // Downloads the nodes staged unchanged (no rewrite: same table id, inside one region).
  uint64_t staged_as_is() const { return as_is_; }

 private:
  struct Task;
  [[nodiscard]] Result<NodeBackup::Stub*> StubFor(uint64_t store_id);
  [[nodiscard]] Status DownloadOne(Task& task);

  cluster::PdClient& pd_;
  StorageTarget storage_;
  int concurrency_;
  double ratelimit_mib_;
  const ProgressFn& progress_;
  NodeRpcLimits limits_;           // Ingest
  NodeRpcLimits download_limits_;  // Download: limits_ at one download's share of the rate limit
  std::map<uint64_t, std::string> addresses_;
  std::mutex mu_;
  std::map<uint64_t, std::unique_ptr<NodeBackup::Stub>> stubs_;
  std::map<uint64_t, std::vector<std::string>> staged_;  // store → uuids to ingest
  std::map<uint64_t, uint64_t> staged_bytes_;            // store → bytes to ingest
  uint64_t bytes_done_ = 0;
  uint64_t as_is_ = 0;
  uint64_t tasks_done_ = 0;
  uint64_t tasks_total_ = 0;
};

}  // namespace brix::br
