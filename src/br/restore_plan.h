// Restore plans (docs/backup.md#restore-estimates): what a restore will read, chosen by the same
// functions the restore runs, and a dry-run that prints it with an estimated duration.
//
// SelectSnapshot and PlanLogReplay are the restore's own choices: RunRestore
// (br/snapshot/restore.h) restores exactly the files SelectSnapshot returns, RestorePoint
// (br/log/pitr.h) checks its bounds with CheckPitrBounds and replays the compactions and raw
// files PlanLogReplay returns. PlanRestore and PlanRestorePoint (the engine's restore_plan and
// restore_point_plan) run the same choices without restoring: they read the backup's metadata
// and the target cluster's restore rates (br/restore_rates.h) and write nothing, to the target or
// to the storage. They refuse what the restore refuses from the metadata (a filter that selects
// nothing, a restored ts out of range, an incremental snapshot for PITR); they do not check the
// target's tables (a dry-run answers "how long would it take" for any cluster) nor stat every
// data file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "br/log/log_files.h"
#include "br/log/pitr.h"
#include "br/proto/backup.pb.h"
#include "br/proto/log.pb.h"
#include "br/restore_rates.h"
#include "br/snapshot/restore.h"
#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::br {

// The tables a filter selects from a backup and their files (InvalidArgument when none).
struct SnapshotSelection {
  std::vector<BackupTable> tables;
  std::vector<BackupFile> files;
};
[[nodiscard]] Result<SnapshotSelection> SelectSnapshot(const BackupMeta& meta,
                                                       const std::vector<std::string>& filter);
// The bytes of a snapshot restore's phases: download and ingest the stored size of the files,
// checksum (when on) their logical bytes; and each one's critical path (br/restore_rates.h):
// download a file per stream, RestoreLanes(concurrency) at a time; ingest and checksum a table
// per lane (checksum: RestoreLanes(cluster::kChecksumTablesInFlight)).
std::vector<PhaseMeasure> SnapshotPhaseBytes(const std::vector<BackupFile>& files, bool checksum,
                                             int concurrency);

// PITR's window checks: a full snapshot of the log's cluster, the log reaching back to it,
// snapshot ts ≤ restored ts ≤ checkpoint. InvalidArgument with the bounds otherwise.
[[nodiscard]] Status CheckPitrBounds(const BackupMeta& snap, const LogRange& range,
                                     const LogLocation& loc, uint64_t restored_ts);

// What a PITR and its dry-run read before anything else, all checked: the log location (kept
// open), the snapshot's backupmeta and where it lives, CheckPitrBounds, and every log and
// compaction meta (their checksums verified) — so a bad input is refused before the target is
// touched.
struct PitrInputs {
  std::unique_ptr<storage::ExternalStorage> log;
  std::string snapshot_location;  // Describe() of the snapshot's storage
  BackupMeta snapshot;
  std::vector<LogMeta> metas;
  std::vector<LogCompaction> compactions;
};
[[nodiscard]] Result<PitrInputs> ReadPitrInputs(const PitrOptions& options);

// What PITR replays for (snapshot_ts, restored_ts]: the compactions overlapping the window (their
// SSTs replace their input files), the raw files left, and every file in the window holding
// catalog entries (read for the catalog whether compacted or not). Pointers into `compactions`.
struct LogReplayPlan {
  std::vector<const LogCompaction*> compactions;
  std::vector<LogFile> raw, catalog;
  uint64_t bytes = 0;  // the raw files' raw size + the used SSTs' logical bytes in the window
  uint64_t ssts = 0;   // SSTs of the used compactions in the window
  std::vector<uint64_t> sst_bytes;  // each used SST's logical bytes, in import order
};
// The replay phase: plan.bytes, and as critical path the SSTs' (imported first) plus the raw
// files' (fetched and staged after), each RestoreLanes(concurrency) at a time.
PhaseMeasure ReplayPhaseBytes(const LogReplayPlan& plan, int concurrency);
LogReplayPlan PlanLogReplay(const std::vector<LogMeta>& metas,
                            const std::vector<LogCompaction>& compactions, uint64_t snapshot_ts,
                            uint64_t restored_ts);
// The SST is in the window (snapshot_ts, restored_ts].
bool SstInWindow(const BackupFile& sst, uint64_t snapshot_ts, uint64_t restored_ts);

struct PlannedCompaction {
  std::string name;
  uint64_t from_ts = 0, until_ts = 0;
  uint64_t ssts = 0;   // in the window
  uint64_t bytes = 0;  // logical bytes of those SSTs
};

// A dry-run's answer.
struct RestorePlan {
  std::string kind;             // full (snapshot restore) or point (PITR)
  std::string snapshot;         // the snapshot location (storage Describe(): no secrets)
  uint64_t snapshot_ts = 0;     // its backup ts
  uint64_t restored_ts = 0;     // point: the ts restored to; full: the snapshot ts
  uint64_t snapshot_files = 0;  // the files the filter selects
  uint64_t tables = 0;
  std::vector<PlannedCompaction> compactions;  // point only
  std::vector<std::string> log_files;          // point only: raw files replayed
  RestoreEstimate estimate;                    // bytes and estimated seconds per phase
};

[[nodiscard]] Result<RestorePlan> PlanRestore(const RestoreOptions& options);
[[nodiscard]] Result<RestorePlan> PlanRestorePoint(const PitrOptions& options);

}  // namespace brix::br
