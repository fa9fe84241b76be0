// `brix validate --deep` (docs/validate.md): proves, without restoring, that a snapshot backup —
// and the log chain continuing it — restores what it recorded, reading every file once.
//
// What it checks (each failure is a ValidateProblem naming the object and what is wrong; the
// run goes on, so one report lists every problem):
//  - snapshot: the backupmeta unseals; every file it names exists, has its size and SHA-256, and
//    decodes (RocksDB block checksums), every entry belongs to the file's table, and the file's kv
//    checksum (kvs, bytes, CRC-64 xor, recomputed by br/sst.h AddEntryChecksum — the one the
//    backup recorded) matches; for a full backup each table's files add up to the table's
//    recorded checksum.
//  - log chain: v1/task, every meta, global checkpoint and compaction meta unseal; every data
//    file a meta names exists, matches size and SHA-256, decodes, holds the recorded number of
//    entries, all within its recorded ts range (inside its meta's); every store
//    that wrote a meta has its v1/global_checkpoint/<store>.ts; every compaction SST checks like
//    a snapshot SST, each entry in its subcompaction's table and key range and in its ts range,
//    and the SSTs add up to the subcompaction's kvs; a compaction's inputs are named by metas
//    (unless the log was truncated); with a snapshot, the chain reaches back to it
//    (br/restore_plan.h CheckPitrBounds, what PITR refuses).
//  - The restorable window: [snapshot ts (or the log's lower bound), global checkpoint].
// What it cannot see: a meta deleted whole (its data files are then only unnamed, and a crashed
// flush leaves unnamed files too — counted in unnamed_log_files), a flush that wrote nothing
// (stores write no meta for an empty flush, so a gap between two metas is not a hole), and
// whether the data was right when it was backed up.
//
// Bounded memory: `concurrency` files at once; SSTs stream to scratch files, log data files are
// held while decoded (cut at 64 MiB raw by writers) — br/verify_files.h. Progress: step
// "validate", done/total files and bytes read.
#pragma once

#include <string>
#include <vector>

#include "br/progress.h"
#include "common/env.h"
#include "common/result.h"

namespace brix::br {

struct DeepValidateOptions {
  // A snapshot backup; or, without log_storage_url, a log location on its own.
  std::string storage_url;
  std::string log_storage_url;  // the log chain continuing the snapshot (optional)
  int concurrency = 8;
  EnvLookup env = ProcessEnv();
};

struct ValidateProblem {
  std::string file;  // the object (relative to its location), or "table db.name"
  std::string what;
};

struct DeepValidateReport {
  std::string snapshot;  // locations checked (storage Describe(): no secrets); "" if none
  std::string log;
  uint64_t snapshot_ts = 0;
  uint64_t files = 0;              // files read
  uint64_t bytes = 0;              // bytes read
  uint64_t kvs = 0;                // entries decoded
  uint64_t unnamed_log_files = 0;  // data files no meta names (not a problem: see above)
  // The restorable window [from, until] when there is a log chain (0, 0 otherwise).
  uint64_t window_from = 0, window_until = 0;
  double seconds = 0;
  std::vector<ValidateProblem> problems;  // sorted by file
  bool ok() const { return problems.empty(); }
};

// Errors only when there is nothing to validate (no backupmeta, no v1/task) or the storage cannot
// be opened; everything else is a problem in the report.
[[nodiscard]] Result<DeepValidateReport> DeepValidate(const DeepValidateOptions& options,
                                                      const ProgressFn& progress = {});

}  // namespace brix::br
