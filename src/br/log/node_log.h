// The node side of log backup (docs/backup.md, docs/format/log.md), running inside every kvnode.
//
// A manager thread polls kvpd's task registry. For each running task the node keeps a runner:
//  - it registers a write observer that appends every committed write (table rows and catalog
//    entries) to a local buffer file — before the write can count as resolved, so the buffer
//    holds every write ≤ the resolved ts;
//  - when it starts (task start, node restart, resume after pause) it first re-scans the MVCC
//    versions in (its store checkpoint, resolved ts] and uploads them, so the log has no gap;
//  - every flush interval it takes the resolved ts R, rotates the buffer, uploads the rotated
//    entries as zstd data files, then one metadata file naming them, then reports R as its store
//    checkpoint to kvpd, writes the global checkpoint it gets back to the storage and moves the
//    task's service safepoint up to it (kvpd moves both in one step, and refuses them once the
//    task is stopped). A failed flush keeps its data for the next one and reports the error.
//  - a buffer that misses a write (open/write/close failed: a full disk) fails the flush; the
//    checkpoint stays, the error shows in `brix log status`, and the next flush drops the
//    buffers and re-scans the store from the checkpoint, so the log has no hole once the disk
//    has room again.
// Forwarded storage credentials come sealed from kvpd at every poll; when they change (`brix log
// update-credentials`) the runner re-opens its storage before its next flush, without restarting.
// Paused or stopped tasks have no runner. Duplicated versions (a re-scan overlapping uploaded
// data) are harmless: the same key and ts is the same version.
#pragma once

#include <chrono>
#include <memory>

#include "cluster/node/node_server.h"

namespace brix::br {

struct NodeLogOptions {
  std::chrono::milliseconds flush_interval{10'000};
  std::chrono::milliseconds poll_interval{500};
  // Test-only fault hook (empty = off): while this file exists, buffer files cannot be opened or
  // written, as on a full disk.
  std::string test_buffer_fault_file;
  // The cluster credential key (--credential-key-file; empty = none): opens the storage
  // credentials a task forwards (cluster/log_task_credentials.h). Without it such a task's
  // flushes fail and say why.
  std::string credential_key;
};

// For NodeOptions::services: serves NodeLog (Flush; the PITR replay calls of node_replay.h) and
// runs the tasks.
cluster::NodeServiceFactory NodeLogServiceFactory(NodeLogOptions options);

}  // namespace brix::br
