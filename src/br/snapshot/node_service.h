// The node side of snapshot backup and restore (docs/format/snapshot.md), served by every kvnode.
//
// Backup: for each requested region sub-range the node waits until its resolved ts reaches the
// backup ts, scans its MVCC store (newest live version ≤ ts, or every version in (start, end]
// for an incremental backup), cuts SST files at a size limit on user-key boundaries, uploads
// them straight to the external storage (rate-limited per request, retried per file) and
// streams back one response per range with the files' descriptions.
//
// Download + Ingest: restore in two steps so that nothing becomes visible before every file
// checked out; served by NodeRestore (node_restore.h), which states their contract.
#pragma once

#include <memory>

#include "cluster/node/node_server.h"

namespace brix::br {

// For NodeOptions::services.
std::unique_ptr<grpc::Service> NewNodeBackupService(cluster::NodeContext* node);

}  // namespace brix::br
