// The restore side of the node service (NodeBackup.Download and NodeBackup.Ingest), served by
// every kvnode as part of the one NodeBackup gRPC service (node_service.h).
//
// Restore goes in two steps so that nothing becomes visible before every file checked out.
// Download fetches a file, streaming it into a local file while hashing it, verifies its size and
// SHA-256 against the backupmeta, and stages an SST under the request's uuid: the downloaded file
// as it is when no key needs a change (same table id, wholly inside the target range and the ts
// window), else a rewritten copy (table prefix rewritten, keys clipped to the target region,
// versions filtered to the ts window). Ingest moves the staged SSTs of one request into the store
// in one IngestExternalFile call. Staged and half-downloaded files of an interrupted restore are
// removed when the node starts.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "br/proto/backup.pb.h"
#include "cluster/node/node_server.h"
#include "common/result.h"

namespace brix::br {

class NodeRestore {
 public:
  // Clears and creates `import_dir` (the node's staging folder).
  NodeRestore(cluster::NodeContext* node, std::string import_dir);

  grpc::Status Download(const DownloadRequest& req, DownloadResponse* resp);
  grpc::Status Ingest(const IngestRequest& req, IngestResponse* resp);

 private:
  // Only for uuids CheckPathComponent accepted (Download and Ingest check them first).
  std::string StagedPath(const std::string& uuid) const;
  [[nodiscard]] Status DoDownload(const DownloadRequest& req, DownloadResponse* resp);

  cluster::NodeContext* node_;
  std::string import_dir_;
};

}  // namespace brix::br
