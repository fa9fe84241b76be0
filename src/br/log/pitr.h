// `brix restore point` (docs/backup.md, docs/format/log.md): point-in-time recovery into an empty
// cluster.
//
// Restores the snapshot, then every logged version with snapshot ts < ts ≤ restored ts, with its
// original commit ts, then advances the target TSO past the restored ts. The restored ts must
// lie in [snapshot ts, log checkpoint] and the log must reach back to the snapshot; anything
// else is refused, with the bounds in the message, before the target is touched. The bounds and
// the compactions and raw files replayed are chosen by br/restore_plan.h (CheckPitrBounds,
// PlanLogReplay), as a dry-run chooses them; the measured phases go into the target's restore
// rates with the publish (br/restore_rates.h).
//
// The replay: compacted SSTs covering part of the window go in through the Importer (staged, then
// ingested); the raw files are fetched and decoded `concurrency` at a time (log_files.h
// LogFileReader: reused buffers, entries parsed in place) and their versions, MVCC-encoded as the
// nodes sort them (node_replay_batch.h), staged on the nodes owning their regions, which sort them
// into SSTs and ingest each node's share in one step once every file is staged (node_replay.h) —
// no write path, and each key gets all its logged versions at once. This process decodes every
// file once and the nodes only sort: a node fetching its regions' files itself would decode each
// file once per node, since every file holds versions of every region its store led.
// Memory of this process: `concurrency` log files at a time (cut at 64 MiB raw each; the stored
// and raw bytes of each, kept from file to file, plus the batches being filled: at most a raw
// file's size). Any failure fails the run:
// staged versions are dropped, and nothing is published (the tables stay invisible under ids no
// later table gets), so the target never shows a state that did not exist.
#pragma once

#include <string>
#include <vector>

#include "br/progress.h"
#include "br/restore_rates.h"
#include "common/env.h"
#include "common/result.h"

namespace brix::br {

struct PitrOptions {
  std::string pd;
  std::string log_storage_url;
  std::string full_backup_storage_url;
  uint64_t restored_ts = 0;
  std::vector<std::string> filter;
  int concurrency = 8;
  bool send_credentials = true;
  // A calibration run (br/restore_calibrate.h): everything but the publish, then what it ingested
  // is deleted and only its measured rates are written (marked calibration). The target must be
  // empty all the same, and stays so.
  bool calibrate = false;
  EnvLookup env = ProcessEnv();
};

struct PitrSummary {
  uint64_t snapshot_ts = 0;
  uint64_t restored_ts = 0;
  uint64_t snapshot_kvs = 0;
  uint64_t log_files = 0;       // raw files replayed
  uint64_t compacted_ssts = 0;  // compacted SSTs ingested instead of raw files
  uint64_t log_entries = 0;     // versions applied
  uint64_t log_bytes = 0;       // raw (uncompressed) bytes of the files read
  double log_seconds = 0;       // replay time
  double seconds = 0;
  // Per phase: the snapshot's (download, ingest, checksum) and replay, with the plan's bytes and
  // the measured seconds (br/restore_rates.h); kept in the target with the publish.
  std::vector<PhaseMeasure> phases;
};

[[nodiscard]] Result<PitrSummary> RestorePoint(const PitrOptions& options,
                                               const ProgressFn& progress = {});

}  // namespace brix::br
