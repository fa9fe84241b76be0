#include "br/snapshot/restore.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "br/proto/backup.grpc.pb.h"
#include "br/restore_plan.h"
#include "br/restore_rates.h"
#include "br/restore_target.h"
#include "br/snapshot/backup_meta.h"
#include "br/snapshot/importer.h"
#include "br/snapshot/node_channel.h"
#include "br/storage_target.h"
#include "cluster/catalog.h"
#include "cluster/client/gc_pause_hold.h"
#include "cluster/client/kv_client.h"
#include "cluster/client/pd_client.h"
#include "cluster/safepoints.h"
#include "common/parallel.h"
#include "common/random.h"
#include "common/table_filter.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

using Clock = std::chrono::steady_clock;

// Where the target remembers how far it restored from a source cluster, so an incremental
// backup is only applied on top of the link before it.
std::string RestoredMarkerKey(uint64_t source_cluster_id) {
  return std::string(1, cluster::kMetaPrefix) + "_br/restored/" + std::to_string(source_cluster_id);
}

class RestoreRun {
 public:
  RestoreRun(const RestoreOptions& options, const ProgressFn& progress)
      : options_(options), progress_(progress) {}

  Result<RestoreSummary> Run() {
    auto started = Clock::now();
    if (options_.concurrency <= 0) {
      return Status::InvalidArgument("--concurrency must be a positive number, got " +
                                     std::to_string(options_.concurrency));
    }
    if (options_.ratelimit_mib < 0) {
      return Status::InvalidArgument("--ratelimit must be ≥ 0 MiB/s (0 = unlimited)");
    }
    BRIX_RETURN_IF_ERROR(TableFilter::Parse(options_.filter).status());
    BRIX_ASSIGN_OR_RETURN(storage_, storage::OpenStorage(options_.storage_url, options_.env));
    BRIX_ASSIGN_OR_RETURN(meta_, ReadBackupMeta(*storage_));
    BRIX_ASSIGN_OR_RETURN(pd_, cluster::PdClient::Connect(options_.pd));
    kv_ = std::make_unique<cluster::KvClient>(pd_.get());

    // The plan's choice (br/restore_plan.h): a dry-run names exactly these files.
    BRIX_ASSIGN_OR_RETURN(SnapshotSelection selection, SelectSnapshot(meta_, options_.filter));
    selected_ = std::move(selection.tables);
    files_ = std::move(selection.files);
    phases_ = SnapshotPhaseBytes(files_, options_.checksum, options_.concurrency);
    BRIX_RETURN_IF_ERROR(CheckNoActiveLogBackup(*pd_));
    BRIX_RETURN_IF_ERROR(CheckTarget());
    BRIX_RETURN_IF_ERROR(CheckFiles());
    Lap("checks");
    // Nothing enters a store before GC is paused on every node (cluster/pd/gc_pause.h). Staging
    // the files writes nothing into a store, so the pause (which waits for every node's
    // heartbeat) is acquired while the table ids are allocated and the files download, and is
    // waited for before the ingest.
    // Tried in short rounds (nothing is written yet, so a round that gives up releases safely)
    // so that a run whose staging failed stops waiting within one round.
    std::atomic<bool> abandon{false};
    std::future<Result<std::unique_ptr<cluster::GcPauseHold>>> pausing;
    if (options_.gc_pause == nullptr)
      pausing = std::async(std::launch::async, [this, &abandon] {
        const std::string owner = cluster::RestoreGcPauseOwner(NewUuid());
        const auto deadline = Clock::now() + cluster::GcPauseOptions{}.wait;
        cluster::GcPauseOptions round;
        round.wait = std::chrono::seconds(2);
        while (true) {
          auto held = cluster::GcPauseHold::Acquire(*pd_, owner, round);
          if (held.ok() || abandon.load() || Clock::now() >= deadline) return held;
        }
      });
    if (Status ids = AssignTableIds(); !ids.ok()) {
      abandon = true;
      return ids;
    }
    Lap("table ids");
    std::unique_ptr<cluster::GcPauseHold> own_pause;
    const cluster::GcPauseHold* pause = options_.gc_pause;
    {
      std::vector<ImportFile> imports;
      for (const auto& f : files_) imports.push_back({f, rules_[f.table_id()], 0, 0});
      auto target =
          MakeStorageTarget(options_.storage_url, options_.send_credentials, options_.env);
      if (!target.ok()) {
        abandon = true;
        return target.status();
      }
      Importer importer(*pd_, *target, options_.concurrency, options_.ratelimit_mib, progress_,
                        options_.node_rpc);
      Status staged = importer.Stage(imports);
      if (!staged.ok()) {
        abandon = true;
        return staged;
      }
      Measured(kPhaseDownload, Lap("download"));
      if (pause == nullptr) {
        BRIX_ASSIGN_OR_RETURN(own_pause, pausing.get());
        pause = own_pause.get();
        Lap("gc pause (rest of the wait)");
      }
      BRIX_RETURN_IF_ERROR(importer.Ingest());
      Measured(kPhaseIngest, Lap("ingest"));
      bytes_done_ = importer.bytes();
      as_is_ = importer.staged_as_is();
    }
    // Verified while still invisible (the checksums read the new ids directly), published last.
    BRIX_ASSIGN_OR_RETURN(uint64_t now, pd_->AdvanceTs(meta_.end_version()));
    Lap("advance ts");
    if (options_.checksum) BRIX_RETURN_IF_ERROR(VerifyChecksums(now));
    BRIX_RETURN_IF_ERROR(pause->Check());
    Measured(kPhaseChecksum, Lap("checksums"));
    RestoreSummary summary;
    summary.phases = phases_;
    if (options_.publish) {
      // The measured rates go into the target with the publish (br/restore_rates.h).
      auto history = ReadRateHistory(*kv_, now_);
      if (!history.ok()) spdlog::warn("restore: {}; starting afresh", history.status().message());
      double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      BRIX_RETURN_IF_ERROR(Publish(RateHistoryMutation(
          history.ok() ? *history : RestoreRateHistory{}, "full", seconds, phases_)));
    } else {
      summary.unpublished = unpublished_;
      summary.publish_with = PublishMarker();
    }
    Lap("publish");
    summary.backup_ts = meta_.end_version();
    summary.files = files_.size();
    summary.files_as_is = as_is_;
    for (const auto& f : files_) {
      summary.total_kvs += f.total_kvs();
      summary.total_bytes += f.total_bytes();
    }
    summary.tables = selected_.size();
    summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return summary;
  }

 private:
  // Logs (debug) how long the step since the last lap took, and returns it.
  double Lap(const char* step) {
    auto now = Clock::now();
    double took = std::chrono::duration<double>(now - lap_).count();
    spdlog::debug("restore: {} took {:.3f}s", step, took);
    lap_ = now;
    return took;
  }
  // Records the measured seconds of a planned phase.
  void Measured(const char* phase, double seconds) {
    for (auto& p : phases_) {
      if (p.name == phase) p.seconds = seconds;
    }
  }

  // Nothing in the target may be touched before this passes.
  Status CheckTarget() {
    BRIX_ASSIGN_OR_RETURN(now_, pd_->GetTs());
    BRIX_ASSIGN_OR_RETURN(auto marker, kv_->Get(RestoredMarkerKey(meta_.cluster_id()), now_));
    if (meta_.start_version() != 0) {
      std::string have = marker ? *marker : "";
      if (have != std::to_string(meta_.start_version())) {
        return Status::FailedPrecondition(
            "this incremental backup holds the changes of cluster " +
            std::to_string(meta_.cluster_id()) + " in (" + std::to_string(meta_.start_version()) +
            ", " + std::to_string(meta_.end_version()) +
            "], but the target's last restore from that cluster " +
            (marker ? "reached ts " + *marker : std::string("does not exist")) +
            ": restore the full backup and the earlier incremental backups first, in order");
      }
      return Status::OK();
    }
    for (const auto& t : selected_) {
      auto found = cluster::FindTable(*kv_, t.db(), t.name(), now_);
      if (found.ok()) {
        return Status::AlreadyExists("table " + t.db() + "." + t.name() +
                                     " already exists in the target cluster; restore into an "
                                     "empty cluster or leave it out with -f '!" +
                                     t.db() + "." + t.name() + "'");
      }
      if (!found.status().IsNotFound()) return found.status();
    }
    return Status::OK();
  }

  Status CheckFiles() {
    std::mutex mu;
    Status bad;
    TaskGroup group(16);
    for (const auto& f : files_) {
      group.Submit([&, f]() -> Status {
        auto info = storage_->Stat(f.name());
        Status s;
        if (!info.ok()) {
          s = info.status().IsNotFound()
                  ? Status::NotFound("file " + f.name() + " named by the backupmeta is missing")
                  : info.status();
        } else if (info->size != f.size()) {
          s = Status::Corruption("file " + f.name() + " has " + std::to_string(info->size) +
                                 " bytes, the backupmeta says " + std::to_string(f.size()));
        }
        return s;
      });
    }
    return group.Wait().WithContext("refusing to restore " + storage_->Describe());
  }

  // Full backup: new ids (the tables are created, hidden, until Publish). Incremental: the ids
  // the earlier restore created, new ones for tables born since.
  Status AssignTableIds() {
    for (const auto& t : selected_) {
      int64_t id = 0;
      auto found = cluster::FindTable(*kv_, t.db(), t.name(), now_);
      if (found.ok()) {
        id = found->id;
      } else {
        if (!found.status().IsNotFound()) return found.status();
        BRIX_ASSIGN_OR_RETURN(id, pd_->AllocTableId(t.db(), t.name()));
        unpublished_.push_back({id, t.db(), t.name()});
      }
      RewriteRule rule;
      rule.set_old_prefix(cluster::TablePrefix(t.id()));
      rule.set_new_prefix(cluster::TablePrefix(id));
      rules_[t.id()] = rule;
      restored_.push_back({id, t.db(), t.name()});
    }
    return Status::OK();
  }

  // Records how far the target got from the source cluster (written with the catalog entries).
  std::vector<cluster::KvMutation> PublishMarker() const {
    return {{RestoredMarkerKey(meta_.cluster_id()), false, std::to_string(meta_.end_version())}};
  }

  // The commit point: makes the tables visible, with the marker and `rates`, in one atomic write.
  Status Publish(cluster::KvMutation rates) {
    std::vector<cluster::KvMutation> with = PublishMarker();
    with.push_back(std::move(rates));
    return cluster::PublishTables(*kv_, unpublished_, with);
  }

  Status VerifyChecksums(uint64_t ts) {
    if (progress_) progress_({"checksum", 0, restored_.size(), bytes_done_});
    BRIX_ASSIGN_OR_RETURN(auto sums, cluster::ChecksumTables(*kv_, ts, restored_));
    for (const auto& t : selected_) {
      if (!t.has_checksum()) {
        spdlog::warn("restore: backup has no checksum for {}.{}; not verified", t.db(), t.name());
        continue;
      }
      cluster::KvChecksum want{t.total_kvs(), t.total_bytes(), t.crc64xor()};
      const cluster::KvChecksum& got = sums[t.db() + "." + t.name()];
      if (!(got == want)) {
        return Status::Corruption("checksum mismatch after restore of table " + t.db() + "." +
                                  t.name() + ": backup has " + want.ToString() +
                                  ", restored data has " + got.ToString());
      }
    }
    return Status::OK();
  }

  const RestoreOptions& options_;
  const ProgressFn& progress_;
  std::unique_ptr<storage::ExternalStorage> storage_;
  std::unique_ptr<cluster::PdClient> pd_;
  std::unique_ptr<cluster::KvClient> kv_;
  BackupMeta meta_;
  uint64_t now_ = 0;
  std::vector<BackupTable> selected_;
  std::vector<BackupFile> files_;
  std::map<int64_t, RewriteRule> rules_;        // source table id → prefix rewrite
  std::vector<cluster::TableRef> unpublished_;  // created by this restore, not yet in catalog
  std::vector<cluster::TableRef> restored_;
  uint64_t bytes_done_ = 0;
  uint64_t as_is_ = 0;
  std::vector<PhaseMeasure> phases_;  // planned bytes, measured seconds
  Clock::time_point lap_ = Clock::now();
};

}  // namespace

Result<RestoreSummary> RunRestore(const RestoreOptions& options, const ProgressFn& progress) {
  RestoreRun run(options, progress);
  return run.Run();
}

}  // namespace brix::br
