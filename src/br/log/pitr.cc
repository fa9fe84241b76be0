#include "br/log/pitr.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "br/log/compaction.h"
#include "br/log/log_files.h"
#include "br/log/node_replay_batch.h"
#include "br/log/replay_order.h"
#include "br/proto/log.grpc.pb.h"
#include "br/restore_calibrate.h"
#include "br/restore_plan.h"
#include "br/restore_rates.h"
#include "br/restore_target.h"
#include "br/snapshot/backup_meta.h"
#include "br/snapshot/importer.h"
#include "br/snapshot/node_channel.h"
#include "br/snapshot/restore.h"
#include "br/storage_target.h"
#include "cluster/catalog.h"
#include "cluster/client/gc_pause_hold.h"
#include "cluster/client/kv_client.h"
#include "cluster/client/pd_client.h"
#include "cluster/safepoints.h"
#include "common/backoff.h"
#include "common/parallel.h"
#include "common/random.h"
#include "common/table_filter.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kStageBatchBytes = 4 << 20;  // versions per StageVersions call
using RegionMap = std::map<std::string, cluster::Region, std::less<>>;  // start key → region
constexpr BackoffOptions kApplyRetries{.max_attempts = 8,
                                       .base_delay = std::chrono::milliseconds(100),
                                       .max_delay = std::chrono::milliseconds(5000)};

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class PitrRun {
 public:
  PitrRun(const PitrOptions& o, const ProgressFn& p) : options_(o), progress_(p) {}

  Result<PitrSummary> Run() {
    auto started = Clock::now();
    BRIX_ASSIGN_OR_RETURN(filter_, TableFilter::Parse(options_.filter));
    // Every meta is read and checked, and the bounds too, before the target is touched.
    BRIX_ASSIGN_OR_RETURN(PitrInputs in, ReadPitrInputs(options_));
    log_ = std::move(in.log);
    metas_ = std::move(in.metas);
    compactions_ = std::move(in.compactions);
    const BackupMeta& snap = in.snapshot;
    BRIX_ASSIGN_OR_RETURN(pd_, cluster::PdClient::Connect(options_.pd));
    kv_ = std::make_unique<cluster::KvClient>(pd_.get());
    BRIX_RETURN_IF_ERROR(CheckNoActiveLogBackup(*pd_));
    BRIX_ASSIGN_OR_RETURN(uint64_t now, pd_->GetTs());
    BRIX_ASSIGN_OR_RETURN(auto existing, cluster::ListTables(*kv_, now));
    if (!existing.empty()) {
      return Status::FailedPrecondition("restore point needs an empty target cluster; it has " +
                                        std::to_string(existing.size()) + " table(s), e.g. " +
                                        existing.front().FullName());
    }
    // Everything that can be checked is checked. GC stays paused from before the snapshot's
    // first byte until the publish (cluster/pd/gc_pause.h).
    BRIX_ASSIGN_OR_RETURN(
        auto pause, cluster::GcPauseHold::Acquire(*pd_, cluster::PitrGcPauseOwner(NewUuid())));
    RestoreOptions ro;
    ro.pd = options_.pd;
    ro.storage_url = options_.full_backup_storage_url;
    ro.filter = options_.filter;
    ro.concurrency = options_.concurrency;
    ro.send_credentials = options_.send_credentials;
    ro.publish = false;  // with the log's tables, once the replay succeeded
    ro.gc_pause = pause.get();
    ro.env = options_.env;
    BRIX_ASSIGN_OR_RETURN(RestoreSummary restored, RunRestore(ro, progress_));

    PitrSummary sum;
    sum.snapshot_ts = snap.end_version();
    sum.restored_ts = options_.restored_ts;
    sum.snapshot_kvs = restored.total_kvs;
    auto replay_start = Clock::now();
    MapTables(snap, restored.unpublished);
    // The plan's choice (br/restore_plan.h): a dry-run names exactly these compactions and files.
    LogReplayPlan plan =
        PlanLogReplay(metas_, compactions_, snap.end_version(), options_.restored_ts);
    BRIX_RETURN_IF_ERROR(Replay(plan, snap.end_version(), &sum));
    BRIX_RETURN_IF_ERROR(pd_->AdvanceTs(options_.restored_ts).status());
    BRIX_RETURN_IF_ERROR(pause->Check());
    sum.phases = restored.phases;
    PhaseMeasure replay = ReplayPhaseBytes(plan, options_.concurrency);
    replay.seconds = Since(replay_start);
    sum.phases.push_back(replay);
    // The commit point: every table, the snapshot's and the log's, visible in one write, with
    // the run's measured rates (br/restore_rates.h).
    std::vector<cluster::TableRef> tables = restored.unpublished;
    tables.insert(tables.end(), new_tables_.begin(), new_tables_.end());
    auto history = ReadRateHistory(*kv_, now);
    if (!history.ok())
      spdlog::warn("restore point: {}; starting afresh", history.status().message());
    auto rates = RateHistoryMutation(history.ok() ? *history : RestoreRateHistory{}, "point",
                                     Since(started), sum.phases, options_.calibrate);
    if (options_.calibrate) {
      BRIX_ASSIGN_OR_RETURN(uint64_t after, pd_->GetTs());
      BRIX_RETURN_IF_ERROR(DeleteUnpublished(*kv_, tables, after));
      BRIX_RETURN_IF_ERROR(kv_->Write({std::move(rates)}).status());
    } else {
      std::vector<cluster::KvMutation> with = restored.publish_with;
      with.push_back(std::move(rates));
      BRIX_RETURN_IF_ERROR(cluster::PublishTables(*kv_, tables, with));
    }
    sum.log_seconds = Since(replay_start);
    sum.seconds = Since(started);
    return sum;
  }

 private:
  // Source table id → target id for the snapshot's tables (restored just now, unpublished).
  void MapTables(const BackupMeta& snap, const std::vector<cluster::TableRef>& restored) {
    std::map<std::string, int64_t> target;
    for (const auto& t : restored) target[t.FullName()] = t.id;
    for (const auto& t : snap.tables()) {
      auto it = target.find(t.db() + "." + t.name());
      if (it != target.end()) id_map_[t.id()] = it->second;
    }
  }

  // Tables created after the snapshot: found in the logged catalog entries (ts ≤ target).
  Status MapLoggedTables(const std::vector<LogFile>& files, uint64_t snapshot_ts) {
    std::map<std::string, std::pair<uint64_t, std::string>> latest;  // name → (ts, id text)
    std::mutex latest_mu;
    TaskGroup group(std::max(1, options_.concurrency));
    for (const auto& f : files) {
      if (!f.has_catalog()) continue;
      bool submitted = group.Submit([&, this]() -> Status {
        return WithReader([&](LogFileReader& reader) {
          return reader.Read(*log_, f, [&](const LogEntryView& e) -> Status {
            if (!e.key.starts_with(cluster::kCatalogPrefix) || e.ts > options_.restored_ts ||
                e.ts <= snapshot_ts)
              return Status::OK();
            std::string name(e.key.substr(cluster::kCatalogPrefix.size()));
            std::lock_guard<std::mutex> lock(latest_mu);
            auto& slot = latest[name];
            if (e.ts >= slot.first) slot = {e.ts, e.is_delete ? "" : std::string(e.value)};
            return Status::OK();
          });
        });
      });
      if (!submitted) break;
    }
    BRIX_RETURN_IF_ERROR(group.Wait());
    for (const auto& [name, entry] : latest) {
      if (entry.second.empty()) continue;
      BRIX_ASSIGN_OR_RETURN(auto parts, cluster::ParseTableName(name, "catalog entry"));
      if (!filter_.Matches(parts.first, parts.second)) continue;
      int64_t source_id = std::stoll(entry.second);
      if (id_map_.count(source_id)) continue;
      BRIX_ASSIGN_OR_RETURN(int64_t id, pd_->AllocTableId(parts.first, parts.second));
      id_map_[source_id] = id;
      new_tables_.push_back({id, parts.first, parts.second});
    }
    return Status::OK();
  }

  // Runs `use` with a reader from the pool (at most `concurrency` exist: their buffers are kept
  // from one file to the next).
  Status WithReader(const std::function<Status(LogFileReader&)>& use) {
    std::unique_ptr<LogFileReader> reader;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!readers_.empty()) {
        reader = std::move(readers_.back());
        readers_.pop_back();
      }
    }
    if (!reader) reader = std::make_unique<LogFileReader>();
    Status s = use(*reader);
    std::lock_guard<std::mutex> lock(mu_);
    readers_.push_back(std::move(reader));
    return s;
  }

  Status Replay(const LogReplayPlan& plan, uint64_t snapshot_ts, PitrSummary* sum) {
    BRIX_RETURN_IF_ERROR(MapLoggedTables(plan.catalog, snapshot_ts));
    BRIX_RETURN_IF_ERROR(LoadRegions());
    std::vector<ImportFile> imports;
    for (const LogCompaction* c : plan.compactions) {
      for (const auto& sub : c->subcompactions()) {
        auto mapped = id_map_.find(sub.table_id());
        if (mapped == id_map_.end()) continue;
        for (const auto& sst : sub.ssts()) {
          if (!SstInWindow(sst, snapshot_ts, options_.restored_ts)) continue;
          ImportFile f;
          f.file = sst;
          f.rewrite.set_old_prefix(cluster::TablePrefix(sub.table_id()));
          f.rewrite.set_new_prefix(cluster::TablePrefix(mapped->second));
          f.min_ts_exclusive = snapshot_ts;
          f.max_ts = options_.restored_ts;
          imports.push_back(std::move(f));
          sum->compacted_ssts += 1;
          sum->log_bytes += sst.total_bytes();
        }
      }
    }
    if (!imports.empty()) {
      BRIX_ASSIGN_OR_RETURN(
          StorageTarget target,
          MakeStorageTarget(options_.log_storage_url, options_.send_credentials, options_.env));
      Importer importer(*pd_, target, options_.concurrency, 0, progress_);
      BRIX_RETURN_IF_ERROR(importer.Run(imports));
    }
    return ReplayRaw(plan.raw, snapshot_ts, sum);
  }

  // Replays the raw files through the nodes' staged replay (node_replay.h): files are fetched and
  // decoded `concurrency` at a time, in any order (each node sorts its versions), their entries
  // in the window encoded as the node sorts them (node_replay_batch.h) and sent in batches of
  // ≈ kStageBatchBytes per region to the region's node; when every file is staged, every node
  // that got batches merges and ingests them. Nothing of the replay is visible before that; a
  // failure drops what the nodes staged.
  // Memory: `concurrency` readers (the largest stored and raw file each, LogFileReader) and, per
  // file in flight, the batches being filled (at most the file's raw size, files are cut at
  // 64 MiB raw).
  Status ReplayRaw(std::vector<LogFile> files, uint64_t snapshot_ts, PitrSummary* sum) {
    SortForReplay(files);  // a stable order: fetched in it, applied in any
    run_id_ = NewUuid();
    std::mutex progress_mu;
    uint64_t bytes = 0, done = 0;
    std::atomic<uint64_t> entries{0};
    TaskGroup group(std::max(1, options_.concurrency));
    for (const auto& file : files) {
      bool submitted = group.Submit([&, this]() -> Status {
        BRIX_ASSIGN_OR_RETURN(uint64_t staged, StageFile(file, snapshot_ts));
        entries += staged;
        std::lock_guard<std::mutex> lock(progress_mu);
        bytes += file.raw_size();
        ++done;
        if (progress_) progress_({"log", done, files.size(), bytes});
        return Status::OK();
      });
      if (!submitted) break;
    }
    Status staged = group.Wait();
    if (!staged.ok()) {
      DropStaged();
      return staged;
    }
    Status finished = FinishStaged();
    if (!finished.ok()) {
      DropStaged();  // the nodes that ingested keep it, unpublished: the run fails
      return finished;
    }
    sum->log_entries += entries;
    sum->log_files = files.size();
    sum->log_bytes += bytes;
    return Status::OK();
  }

  // Reads the file and sends its entries in the window, with their target table ids, to the
  // nodes as they are decoded; returns how many.
  Result<uint64_t> StageFile(const LogFile& file, uint64_t snapshot_ts) {
    std::shared_ptr<const RegionMap> regions = Regions();
    std::map<uint64_t, std::string> by_region;  // region id → the batch being filled
    std::map<int64_t, std::string> prefixes;    // source table id → target prefix
    std::string key;                            // the target key, for the region lookup
    uint64_t n = 0;
    Status read = WithReader([&](LogFileReader& reader) {
      return reader.Read(*log_, file, [&](const LogEntryView& e) -> Status {
        if (e.ts <= snapshot_ts || e.ts > options_.restored_ts) return Status::OK();
        auto source = cluster::TableIdOf(e.key);
        if (!source) return Status::OK();  // catalog entries are applied through the catalog
        auto prefix = prefixes.find(*source);
        if (prefix == prefixes.end()) {
          auto mapped = id_map_.find(*source);
          prefix =
              prefixes
                  .emplace(*source, mapped == id_map_.end() ? std::string()
                                                            : cluster::TablePrefix(mapped->second))
                  .first;
        }
        if (prefix->second.empty()) return Status::OK();  // filtered out
        std::string_view tail = e.key.substr(prefix->second.size());
        key.assign(prefix->second).append(tail);
        auto it = regions->upper_bound(key);
        if (it == regions->begin()) return Status::Internal("no region holds the key");
        std::string& batch = by_region[std::prev(it)->second.id()];
        AppendStagedVersion(&batch, prefix->second, tail, e.ts, e.is_delete, e.value);
        ++n;
        if (batch.size() >= kStageBatchBytes) {
          BRIX_RETURN_IF_ERROR(Stage(batch));
          batch.reserve(kStageBatchBytes + (64 << 10));  // a region that fills one fills more
        }
        return Status::OK();
      });
    });
    BRIX_RETURN_IF_ERROR(read);
    for (auto& [region, batch] : by_region) BRIX_RETURN_IF_ERROR(Stage(batch));
    return n;
  }

  std::shared_ptr<const RegionMap> Regions() {
    std::lock_guard<std::mutex> lock(mu_);
    return regions_;
  }

  Status LoadRegions() {
    BRIX_ASSIGN_OR_RETURN(auto all, pd_->GetRegions("", ""));
    auto regions = std::make_shared<RegionMap>();
    for (const auto& r : all) (*regions)[r.start_key()] = r;
    BRIX_ASSIGN_OR_RETURN(auto stores, pd_->GetStores());
    std::lock_guard<std::mutex> lock(mu_);
    regions_ = std::move(regions);
    for (const auto& s : stores) addresses_[s.id()] = s.address();
    return Status::OK();
  }

  Result<NodeLog::Stub*> StubFor(uint64_t store_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto addr = addresses_.find(store_id);
    if (addr == addresses_.end()) {
      return Status::Unavailable("PITR replay: store " + std::to_string(store_id) + " unknown");
    }
    auto& s = stubs_[store_id];
    if (!s) s = NodeLog::NewStub(NodeChannel(addr->second, pd_->channel_credentials()));
    return s.get();
  }

  // Stages an encoded batch (all in one region as of the last map) on its node(s), splitting it
  // again by region after a refresh when the map moved under us. Each round stages the versions of
  // the first one's region and keeps the rest for the next, whose tries count afresh. Leaves
  // `batch` empty.
  Status Stage(std::string& batch) {
    while (!batch.empty()) {
      BRIX_RETURN_IF_ERROR(RetryWithBackoff(
          kApplyRetries,
          [&](int attempt) -> Status {
            if (attempt > 1) BRIX_RETURN_IF_ERROR(LoadRegions());
            return StageFirstRegion(batch);
          },
          [](const Status& s) { return s.code() != Status::Code::kFailedPrecondition; },
          [](int attempt, const Status& s) {
            spdlog::warn("restore point: staging log versions failed (try {}): {}", attempt,
                         s.message());
          }));
    }
    return Status::OK();
  }

  // One try of Stage: the versions in the first version's region go to its node as one numbered
  // batch; on success `batch` keeps only the others (on failure it is as it was).
  Status StageFirstRegion(std::string& batch) {
    std::shared_ptr<const RegionMap> regions = Regions();
    StagedVersionReader first(batch);
    std::string_view key, value;
    if (!first.Next(&key, &value)) return Status::Internal("a staged batch does not parse");
    auto it = regions->upper_bound(key.substr(0, key.size() - 8));
    if (it == regions->begin()) return Status::Internal("no region holds the key");
    const cluster::Region& region = std::prev(it)->second;
    auto inside = [&](std::string_view mvcc_key) {
      std::string_view k = mvcc_key.substr(0, mvcc_key.size() - 8);
      return k >= region.start_key() && (region.end_key().empty() || k < region.end_key());
    };
    // Usually every version is inside and the batch goes as it is; else it is split.
    bool all_inside = true;
    uint64_t versions = 0;
    for (StagedVersionReader r(batch); r.Next(&key, &value);) {
      all_inside = all_inside && inside(key);
      ++versions;
    }
    std::string in_region, rest;
    if (!all_inside) {
      for (StagedVersionReader r(batch); r.Next(&key, &value);) {
        AppendStagedVersion(inside(key) ? &in_region : &rest, key, value);
      }
      versions = 0;
      for (StagedVersionReader r(in_region); r.Next(&key, &value);) ++versions;
    }
    BRIX_ASSIGN_OR_RETURN(NodeLog::Stub * stub, StubFor(region.store_id()));
    StageVersionsRequest req;
    req.set_run(run_id_);
    req.set_region_id(region.id());
    req.set_epoch(region.epoch());
    {
      std::lock_guard<std::mutex> lock(mu_);
      req.set_batch(next_batch_++);
    }
    req.set_encoded(all_inside ? std::move(batch) : std::move(in_region));
    uint64_t bytes = req.encoded().size();
    grpc::ClientContext ctx;
    SetNodeDeadline(ctx, NodeRpcLimits{}, bytes);
    StageVersionsResponse resp;
    grpc::Status st = stub->StageVersions(&ctx, req, &resp);
    bool staged_ok = st.ok() && resp.region_error().empty() && resp.error().empty();
    if (staged_ok && resp.versions() != versions) {
      if (all_inside) batch = std::move(*req.mutable_encoded());  // as it was
      // Not retried (Stage): a node older than the encoded batches stages none of them.
      return Status::FailedPrecondition("PITR replay: store " + std::to_string(region.store_id()) +
                                        " staged " + std::to_string(resp.versions()) + " of the " +
                                        std::to_string(versions) +
                                        " versions sent; its kvnode must be as new as brix");
    }
    if (staged_ok) {
      std::lock_guard<std::mutex> lock(mu_);
      Staged& staged = staged_[region.store_id()];
      staged.batches.push_back(req.batch());
      staged.bytes += bytes;
      batch = std::move(rest);
      return Status::OK();
    }
    if (all_inside) batch = std::move(*req.mutable_encoded());  // as it was
    return Status::Unavailable("stage log versions on store " + std::to_string(region.store_id()) +
                               ": " +
                               (!st.ok()                       ? st.error_message()
                                : !resp.region_error().empty() ? resp.region_error()
                                                               : resp.error()));
  }

  // Every node that staged batches checks it holds them all, merges and ingests them.
  Status FinishStaged() {
    TaskGroup group(std::max(1, static_cast<int>(staged_.size())));
    for (auto& [store, staged] : staged_) {
      group.Submit([this, store = store, &staged = staged]() -> Status {
        BRIX_ASSIGN_OR_RETURN(NodeLog::Stub * stub, StubFor(store));
        FinishReplayRequest req;
        req.set_run(run_id_);
        req.set_ingest(true);
        for (uint64_t b : staged.batches) req.add_batches(b);
        grpc::ClientContext ctx;
        // The node sorts, merges and ingests what it staged: bytes it reads and writes twice.
        SetNodeDeadline(ctx, NodeRpcLimits{}, 2 * staged.bytes);
        FinishReplayResponse resp;
        grpc::Status st = stub->FinishReplay(&ctx, req, &resp);
        if (!st.ok() || !resp.error().empty()) {
          return Status::Unavailable(
              "PITR replay: store " + std::to_string(store) +
              " could not ingest its versions: " + (!st.ok() ? st.error_message() : resp.error()));
        }
        return Status::OK();
      });
    }
    return group.Wait();
  }

  // After a failure: the nodes drop what they staged (best effort; a node restart drops it too).
  void DropStaged() {
    for (const auto& [store, staged] : staged_) {
      auto stub = StubFor(store);
      if (!stub.ok()) continue;
      FinishReplayRequest req;
      req.set_run(run_id_);
      req.set_ingest(false);
      grpc::ClientContext ctx;
      SetNodeDeadline(ctx, NodeRpcLimits{});
      FinishReplayResponse resp;
      (*stub)->FinishReplay(&ctx, req, &resp).ok();
    }
  }

  const PitrOptions& options_;
  const ProgressFn& progress_;
  TableFilter filter_;
  std::unique_ptr<storage::ExternalStorage> log_;
  std::unique_ptr<cluster::PdClient> pd_;
  std::unique_ptr<cluster::KvClient> kv_;
  std::vector<LogMeta> metas_;
  std::vector<LogCompaction> compactions_;
  std::map<int64_t, int64_t> id_map_;
  std::vector<cluster::TableRef> new_tables_;

  std::string run_id_;  // names the staged replay on the nodes

  std::mutex mu_;
  std::shared_ptr<const RegionMap> regions_ = std::make_shared<RegionMap>();
  std::map<uint64_t, std::string> addresses_;
  std::map<uint64_t, std::unique_ptr<NodeLog::Stub>> stubs_;
  std::vector<std::unique_ptr<LogFileReader>> readers_;  // idle ones
  struct Staged {
    std::vector<uint64_t> batches;  // acknowledged
    uint64_t bytes = 0;
  };
  std::map<uint64_t, Staged> staged_;  // store → what it acknowledged
  uint64_t next_batch_ = 0;
};

}  // namespace

Result<PitrSummary> RestorePoint(const PitrOptions& options, const ProgressFn& progress) {
  if (options.restored_ts == 0) return Status::InvalidArgument("--restored-ts is required");
  PitrRun run(options, progress);
  return run.Run();
}

}  // namespace brix::br
