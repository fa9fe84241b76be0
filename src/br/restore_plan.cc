#include "br/restore_plan.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "br/log/compaction.h"
#include "br/snapshot/backup_meta.h"
#include "cluster/catalog.h"
#include "cluster/client/kv_client.h"
#include "cluster/client/pd_client.h"
#include "common/table_filter.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

// The target's history (read only); empty without a target or when it does not parse.
Result<RestoreRateHistory> TargetHistory(const std::string& pd_addr) {
  if (pd_addr.empty()) return RestoreRateHistory{};
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(pd_addr));
  cluster::KvClient kv(pd.get());
  BRIX_ASSIGN_OR_RETURN(uint64_t now, pd->GetTs());
  auto history = ReadRateHistory(kv, now);
  if (history.ok() || history.status().code() != Status::Code::kCorruption) return history;
  spdlog::warn("restore plan: {}; using the default calibration", history.status().message());
  return RestoreRateHistory{};
}

}  // namespace

Result<SnapshotSelection> SelectSnapshot(const BackupMeta& meta,
                                         const std::vector<std::string>& filter_rules) {
  BRIX_ASSIGN_OR_RETURN(TableFilter filter, TableFilter::Parse(filter_rules));
  SnapshotSelection out;
  std::set<int64_t> wanted;
  for (const auto& t : meta.tables()) {
    if (!filter.Matches(t.db(), t.name())) continue;
    out.tables.push_back(t);
    wanted.insert(t.id());
  }
  if (out.tables.empty()) {
    return Status::InvalidArgument("the table filter selects none of the " +
                                   std::to_string(meta.tables_size()) + " tables in the backup");
  }
  for (const auto& f : meta.files()) {
    if (wanted.count(f.table_id())) out.files.push_back(f);
  }
  return out;
}

std::vector<PhaseMeasure> SnapshotPhaseBytes(const std::vector<BackupFile>& files, bool checksum,
                                             int concurrency) {
  uint64_t stored = 0, logical = 0;
  std::vector<uint64_t> file_bytes;
  std::map<int64_t, std::pair<uint64_t, uint64_t>> per_table;  // id → (stored, logical)
  for (const auto& f : files) {
    stored += f.size();
    logical += f.total_bytes();
    file_bytes.push_back(f.size());
    per_table[f.table_id()].first += f.size();
    per_table[f.table_id()].second += f.total_bytes();
  }
  std::vector<uint64_t> table_stored, table_logical;
  for (const auto& [id, b] : per_table) {
    table_stored.push_back(b.first);
    table_logical.push_back(b.second);
  }
  const size_t lanes = RestoreLanes(concurrency);
  std::vector<PhaseMeasure> phases = {
      {kPhaseDownload, stored, 0, CriticalPathBytes(file_bytes, lanes)},
      {kPhaseIngest, stored, 0, CriticalPathBytes(table_stored, lanes)}};
  if (checksum) {
    phases.push_back(
        {kPhaseChecksum, logical, 0,
         CriticalPathBytes(table_logical, RestoreLanes(cluster::kChecksumTablesInFlight))});
  }
  return phases;
}

PhaseMeasure ReplayPhaseBytes(const LogReplayPlan& plan, int concurrency) {
  const size_t lanes = RestoreLanes(concurrency);
  std::vector<uint64_t> raw;
  for (const auto& f : plan.raw) raw.push_back(f.raw_size());
  return {kPhaseReplay, plan.bytes, 0,
          CriticalPathBytes(plan.sst_bytes, lanes) + CriticalPathBytes(raw, lanes)};
}

Status CheckPitrBounds(const BackupMeta& snap, const LogRange& range, const LogLocation& loc,
                       uint64_t ts) {
  if (snap.start_version() != 0) {
    return Status::InvalidArgument(
        "--full-backup-storage must hold a full backup, not an incremental one");
  }
  if (snap.cluster_id() != loc.cluster_id()) {
    return Status::InvalidArgument("the snapshot (cluster " + std::to_string(snap.cluster_id()) +
                                   ") and the log (cluster " + std::to_string(loc.cluster_id()) +
                                   ") come from different clusters");
  }
  uint64_t lo = snap.end_version(), hi = range.checkpoint;
  if (range.min_ts > lo) {
    return Status::InvalidArgument(
        "the log at --storage starts at " + std::to_string(range.min_ts) +
        (loc.truncated_until() ? " (truncated)" : "") + ", after the snapshot ts " +
        std::to_string(lo) + ": use a full backup taken at or after " +
        std::to_string(range.min_ts));
  }
  if (ts < lo || ts > hi) {
    return Status::InvalidArgument(
        "--restored-ts " + std::to_string(ts) + " is outside the restorable range [" +
        std::to_string(lo) + ", " + std::to_string(hi) + "] (snapshot ts " + std::to_string(lo) +
        ", log checkpoint " + std::to_string(hi) + ")");
  }
  return Status::OK();
}

bool SstInWindow(const BackupFile& sst, uint64_t snapshot_ts, uint64_t restored_ts) {
  return sst.end_version() > snapshot_ts && sst.start_version() <= restored_ts;
}

LogReplayPlan PlanLogReplay(const std::vector<LogMeta>& metas,
                            const std::vector<LogCompaction>& compactions, uint64_t snapshot_ts,
                            uint64_t restored_ts) {
  // Compactions overlapping the window replace the raw files they were made from: their SSTs
  // hold every version of those files, so ingesting them (filtered to the window) is the same as
  // replaying the files.
  LogReplayPlan plan;
  std::set<std::string> covered;
  for (const auto& c : compactions) {
    if (c.input_files_size() == 0 || c.input_max_ts() <= snapshot_ts ||
        c.input_min_ts() > restored_ts)
      continue;
    plan.compactions.push_back(&c);
    covered.insert(c.input_files().begin(), c.input_files().end());
    for (const auto& sub : c.subcompactions()) {
      for (const auto& sst : sub.ssts()) {
        if (!SstInWindow(sst, snapshot_ts, restored_ts)) continue;
        plan.ssts += 1;
        plan.bytes += sst.total_bytes();
        plan.sst_bytes.push_back(sst.total_bytes());
      }
    }
  }
  for (const auto& m : metas) {
    for (const auto& f : m.files()) {
      if (f.max_ts() <= snapshot_ts || f.min_ts() > restored_ts) continue;
      if (f.has_catalog()) plan.catalog.push_back(f);  // read for the catalog either way
      if (!covered.count(f.name())) {
        plan.raw.push_back(f);
        plan.bytes += f.raw_size();
      }
    }
  }
  return plan;
}

Result<RestorePlan> PlanRestore(const RestoreOptions& options) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(options.storage_url, options.env));
  BRIX_ASSIGN_OR_RETURN(BackupMeta meta, ReadBackupMeta(*storage));
  BRIX_ASSIGN_OR_RETURN(SnapshotSelection selected, SelectSnapshot(meta, options.filter));
  BRIX_ASSIGN_OR_RETURN(RestoreRateHistory history, TargetHistory(options.pd));
  RestorePlan plan;
  plan.kind = "full";
  plan.snapshot = storage->Describe();
  plan.snapshot_ts = meta.end_version();
  plan.restored_ts = meta.end_version();
  plan.snapshot_files = selected.files.size();
  plan.tables = selected.tables.size();
  plan.estimate =
      EstimateRestore(history, plan.kind,
                      SnapshotPhaseBytes(selected.files, options.checksum, options.concurrency));
  return plan;
}

Result<PitrInputs> ReadPitrInputs(const PitrOptions& options) {
  PitrInputs in;
  BRIX_ASSIGN_OR_RETURN(in.log, storage::OpenStorage(options.log_storage_url, options.env));
  BRIX_ASSIGN_OR_RETURN(auto snap_storage,
                        storage::OpenStorage(options.full_backup_storage_url, options.env));
  in.snapshot_location = snap_storage->Describe();
  BRIX_ASSIGN_OR_RETURN(in.snapshot, ReadBackupMeta(*snap_storage));
  BRIX_ASSIGN_OR_RETURN(LogRange range, ReadLogRange(*in.log));
  BRIX_ASSIGN_OR_RETURN(LogLocation loc, ReadLogLocation(*in.log));
  BRIX_RETURN_IF_ERROR(CheckPitrBounds(in.snapshot, range, loc, options.restored_ts));
  BRIX_ASSIGN_OR_RETURN(in.metas, ReadLogMetas(*in.log));
  BRIX_ASSIGN_OR_RETURN(in.compactions, ReadCompactions(*in.log));
  return in;
}

Result<RestorePlan> PlanRestorePoint(const PitrOptions& options) {
  if (options.restored_ts == 0) return Status::InvalidArgument("--restored-ts is required");
  BRIX_ASSIGN_OR_RETURN(PitrInputs in, ReadPitrInputs(options));
  const BackupMeta& snap = in.snapshot;
  const auto& metas = in.metas;
  const auto& compactions = in.compactions;
  BRIX_ASSIGN_OR_RETURN(SnapshotSelection selected, SelectSnapshot(snap, options.filter));
  BRIX_ASSIGN_OR_RETURN(RestoreRateHistory history, TargetHistory(options.pd));
  LogReplayPlan replay = PlanLogReplay(metas, compactions, snap.end_version(), options.restored_ts);
  RestorePlan plan;
  plan.kind = "point";
  plan.snapshot = in.snapshot_location;
  plan.snapshot_ts = snap.end_version();
  plan.restored_ts = options.restored_ts;
  plan.snapshot_files = selected.files.size();
  plan.tables = selected.tables.size();
  for (const LogCompaction* c : replay.compactions) {
    PlannedCompaction pc;
    pc.name = c->name();
    pc.from_ts = c->from_ts();
    pc.until_ts = c->until_ts();
    for (const auto& sub : c->subcompactions()) {
      for (const auto& sst : sub.ssts()) {
        if (!SstInWindow(sst, plan.snapshot_ts, plan.restored_ts)) continue;
        pc.ssts += 1;
        pc.bytes += sst.total_bytes();
      }
    }
    plan.compactions.push_back(std::move(pc));
  }
  for (const auto& f : replay.raw) plan.log_files.push_back(f.name());
  std::vector<PhaseMeasure> phases =
      SnapshotPhaseBytes(selected.files, /*checksum=*/true, options.concurrency);
  phases.push_back(ReplayPhaseBytes(replay, options.concurrency));
  plan.estimate = EstimateRestore(history, plan.kind, phases);
  return plan;
}

}  // namespace brix::br
