// The node side of log backup (docs/backup.md, docs/format/log.md), running inside every kvnode.
//
// A manager thread polls kvpd's task registry. For each running task the node keeps a runner:
//  - it registers a write observer that appends every committed write (table rows and catalog
//    entries) to its buffer (br/log/log_buffer.h: memory, spilled to a local file by a
//    background writer past buffer_memory_bytes) — before the write can count as resolved, so
//    the buffer holds every write ≤ the resolved ts. Memory counts: a crash loses it, and the
//    restart's re-scan from the store checkpoint (below) covers it;
//  - when it starts (task start, node restart, resume after pause) it first re-scans the MVCC
//    versions in (its store checkpoint, resolved ts] and uploads them, so the log has no gap;
//  - at every multiple of the flush interval on the clock (all stores flush together, so the
//    global checkpoint lags by about one interval), it takes the resolved ts R, rotates the buffer,
//    uploads the rotated entries as zstd data files, then one metadata file naming them, then
//    reports R as its store checkpoint to kvpd, writes the global checkpoint it gets back to the
//    storage and moves the task's service safepoint up to it (kvpd moves both in one step, and
//    refuses them once the task is stopped). A failed flush keeps its data (on disk) for the next
//    one and reports the error.
//  - a buffer that misses a write (spill open/write/close failed: a full disk) fails the flush; the
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
  // Per task: the buffer's writer spills to disk past this many bytes of records in memory; the
  // write path waits for it past twice as many (the memory bound).
  size_t buffer_memory_bytes = 32 << 20;
  // Test-only fault hook (empty = off): while this file exists, buffer appends and spill files
  // fail, as on a full disk with the buffer's memory full.
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
