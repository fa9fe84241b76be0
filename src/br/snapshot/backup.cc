#include "br/snapshot/backup.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "br/location.h"
#include "br/meta_seal.h"
#include "br/proto/backup.grpc.pb.h"
#include "br/snapshot/backup_meta.h"
#include "br/snapshot/key_ranges.h"
#include "br/snapshot/node_channel.h"
#include "br/sst.h"
#include "br/storage_target.h"
#include "cluster/catalog.h"
#include "cluster/client/kv_client.h"
#include "cluster/client/pd_client.h"
#include "cluster/safepoints.h"
#include "common/periodic.h"
#include "common/random.h"
#include "common/table_filter.h"
#include "common/time_util.h"
#include "common/timestamp.h"
#include "common/tso.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kSafePointTtlSeconds = cluster::kBackupSafePointTtl.count();
constexpr auto kCheckpointInterval = std::chrono::seconds(2);
constexpr int kRangeErrorLimit = 8;  // non-routing failures of one range

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Keeps the service safepoint alive for as long as the object lives.
class SafePointKeeper {
 public:
  SafePointKeeper(cluster::PdClient* pd, std::string service, uint64_t ts)
      : refresher_(cluster::kBackupSafePointRefresh, [pd, service = std::move(service), ts] {
          auto s = pd->UpdateServiceSafePoint(service, ts, kSafePointTtlSeconds);
          if (!s.ok())
            spdlog::warn("backup: refreshing the service safepoint: {}", s.status().ToString());
        }) {}

 private:
  PeriodicTask refresher_;
};

class BackupRun {
 public:
  BackupRun(const BackupOptions& options, const ProgressFn& progress)
      : options_(options), progress_(progress) {}

  Result<BackupSummary> Run() {
    auto started = Clock::now();
    BRIX_RETURN_IF_ERROR(CheckOptions());
    BRIX_ASSIGN_OR_RETURN(filter_, TableFilter::Parse(options_.filter));
    BRIX_ASSIGN_OR_RETURN(pd_, cluster::PdClient::Connect(options_.pd));
    kv_ = std::make_unique<cluster::KvClient>(pd_.get());
    BRIX_ASSIGN_OR_RETURN(cluster_id_, pd_->GetClusterId());
    BRIX_ASSIGN_OR_RETURN(storage_, storage::OpenStorage(options_.storage_url, options_.env));
    BRIX_ASSIGN_OR_RETURN(bool exists, storage_->Exists(kBackupMetaName));
    if (exists) {
      return Status::AlreadyExists("--storage: " + storage_->Describe() +
                                   " already holds a backup (backupmeta); use an empty path");
    }
    BRIX_RETURN_IF_ERROR(
        CheckLocationIsFree(options_.storage_url, options_.env, LocationKind::kSnapshot));
    BRIX_RETURN_IF_ERROR(LockOrResume());
    if (!resumed_) BRIX_RETURN_IF_ERROR(RecheckAfterLock());
    if (options_.on_owned) {
      BRIX_RETURN_IF_ERROR(options_.on_owned(lock_.run_id())
                               .WithContext("recording that the run owns " + storage_->Describe()));
    }
    SafePointKeeper keeper(pd_.get(), lock_.safepoint_service(), SafePointTs());

    BRIX_RETURN_IF_ERROR(kv_->WaitResolved(lock_.backup_ts()));
    BRIX_ASSIGN_OR_RETURN(std::vector<cluster::TableRef> all,
                          cluster::ListTables(*kv_, lock_.backup_ts()));
    for (const auto& t : all) {
      if (filter_.Matches(t.db, t.name)) tables_.push_back(t);
    }
    if (tables_.empty()) {
      return Status::InvalidArgument("the table filter selects no table at backup ts " +
                                     std::to_string(lock_.backup_ts()));
    }
    for (const auto& t : tables_) {
      ranges_.push_back({cluster::TablePrefix(t.id), cluster::TablePrefix(t.id + 1), t.id});
    }
    BRIX_RETURN_IF_ERROR(LoadCheckpoints());
    spdlog::info("backup: ts {}, {} tables, {} ranges to do; setup took {:.3f} s",
                 lock_.backup_ts(), tables_.size(), ranges_.size(), Since(started));
    BRIX_RETURN_IF_ERROR(BackupAllRanges());
    spdlog::info("backup: all ranges done at {:.3f} s", Since(started));
    BRIX_ASSIGN_OR_RETURN(BackupMeta meta, BuildMeta());
    BRIX_RETURN_IF_ERROR(PutMeta(*storage_, kMetaBackupMeta, kBackupMetaName, meta,
                                 storage::PutOptions{.if_absent = true}));
    spdlog::info("backup: backupmeta written at {:.3f} s", Since(started));
    Cleanup(meta);

    BackupSummary summary;
    summary.backup_ts = meta.end_version();
    summary.last_backup_ts = meta.start_version();
    summary.files = static_cast<uint64_t>(meta.files_size());
    summary.total_kvs = meta.total_kvs();
    summary.total_bytes = meta.total_bytes();
    summary.backup_size = meta.backup_size();
    summary.tables = tables_.size();
    summary.resumed = resumed_;
    summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return summary;
  }

 private:
  Status CheckOptions() {
    if (options_.concurrency <= 0) {
      return Status::InvalidArgument("--concurrency must be a positive number, got " +
                                     std::to_string(options_.concurrency));
    }
    if (options_.ratelimit_mib < 0) {
      return Status::InvalidArgument("--ratelimit must be ≥ 0 MiB/s (0 = unlimited)");
    }
    if (options_.time_ago.count() < 0) {
      return Status::InvalidArgument("--timeago must not be negative");
    }
    if (options_.backup_ts != 0 && options_.time_ago.count() != 0) {
      return Status::InvalidArgument("--backupts and --timeago cannot be used together");
    }
    return CheckCompression(options_.compression, "--compression");
  }

  uint64_t SafePointTs() const {
    uint64_t keep_from = lock_.last_backup_ts() ? lock_.last_backup_ts() : lock_.backup_ts();
    return keep_from - 1;
  }

  // Starts a new backup (lock written create-only) or resumes the interrupted one the lock
  // describes, if it was started with the same arguments.
  Status LockOrResume() {
    auto existing = ReadBackupLock(*storage_);
    if (existing.ok()) {
      const BackupLock& old = *existing;
      std::string why;
      if (old.cluster_id() != cluster_id_) why = "it is a backup of another cluster";
      if (old.last_backup_ts() != options_.last_backup_ts) why = "--lastbackupts differs";
      if (std::vector<std::string>(old.filter().begin(), old.filter().end()) != options_.filter)
        why = "the table filter differs";
      if (old.compression() != options_.compression) why = "--compression differs";
      if (options_.backup_ts != 0 && options_.backup_ts != old.backup_ts())
        why =
            "--backupts differs (the interrupted run used " + std::to_string(old.backup_ts()) + ")";
      if (!why.empty()) {
        return Status::FailedPrecondition(
            "--storage: " + storage_->Describe() +
            " holds an interrupted backup (backup.lock) started with other arguments: " + why +
            "; rerun with the same arguments to resume it, or use another path");
      }
      lock_ = old;
      resumed_ = true;
      BRIX_ASSIGN_OR_RETURN(uint64_t gc, pd_->GetGcSafePoint());
      if (gc > SafePointTs()) {
        return Status::FailedPrecondition(
            "cannot resume: the interrupted backup's ts " + std::to_string(lock_.backup_ts()) +
            " is below the GC safepoint " + std::to_string(gc) + " now; start a new backup");
      }
      BRIX_RETURN_IF_ERROR(pd_->UpdateServiceSafePoint(lock_.safepoint_service(), SafePointTs(),
                                                       kSafePointTtlSeconds)
                               .status());
      spdlog::info("backup: resuming the interrupted backup at ts {}", lock_.backup_ts());
      return Status::OK();
    }
    if (!existing.status().IsNotFound()) return existing.status();

    uint64_t ts = options_.backup_ts;
    if (ts == 0) {
      BRIX_ASSIGN_OR_RETURN(ts, pd_->GetTs());
      ts -= TsSpanMs(static_cast<uint64_t>(options_.time_ago.count()));
    }
    if (options_.last_backup_ts != 0 && options_.last_backup_ts >= ts) {
      return Status::InvalidArgument("--lastbackupts " + std::to_string(options_.last_backup_ts) +
                                     " must be before the backup ts " + std::to_string(ts));
    }
    lock_.set_cluster_id(cluster_id_);
    lock_.set_backup_ts(ts);
    lock_.set_last_backup_ts(options_.last_backup_ts);
    for (const auto& f : options_.filter) lock_.add_filter(f);
    lock_.set_compression(options_.compression);
    lock_.set_safepoint_service(cluster::BackupSafePointName(NewUuid()));
    lock_.set_run_id(NewUuid());
    lock_.set_started_unix_ms(UnixMillis());
    // Protect first, then check: once registered, GC cannot pass it; if GC had already passed
    // the ts, the versions may be gone.
    BRIX_RETURN_IF_ERROR(
        pd_->UpdateServiceSafePoint(lock_.safepoint_service(), SafePointTs(), kSafePointTtlSeconds)
            .status());
    BRIX_ASSIGN_OR_RETURN(uint64_t gc, pd_->GetGcSafePoint());
    if (gc > SafePointTs()) {
      pd_->UpdateServiceSafePoint(lock_.safepoint_service(), 0, 0).status().IgnoreError();
      std::string which = options_.last_backup_ts ? "--lastbackupts" : "the backup ts";
      return Status::FailedPrecondition(which + " " + std::to_string(SafePointTs() + 1) +
                                        " is older than the GC safepoint " + std::to_string(gc) +
                                        ": those versions may be gone");
    }
    Status put = PutMeta(*storage_, kMetaBackupLock, kBackupLockName, lock_,
                         storage::PutOptions{.if_absent = true});
    if (put.IsAlreadyExists()) {
      return Status::FailedPrecondition("--storage: another backup started at " +
                                        storage_->Describe() + " at the same moment");
    }
    return put;
  }

  // Two runs may check a parent and a child location at the same moment and both find them free;
  // each checks again once its lock is written, so at least one sees the other and backs out.
  Status RecheckAfterLock() {
    Status free = CheckLocationIsFree(options_.storage_url, options_.env, LocationKind::kSnapshot);
    if (free.ok()) return free;
    storage_->Delete(kBackupLockName).IgnoreError();
    pd_->UpdateServiceSafePoint(lock_.safepoint_service(), 0, 0).status().IgnoreError();
    return free;
  }

  Status LoadCheckpoints() {
    BRIX_ASSIGN_OR_RETURN(auto objects, storage_->ListAll(kCheckpointPrefix));
    for (const auto& o : objects) {
      // A damaged checkpoint is refused, not skipped: it is named, and removing it (its ranges
      // are then backed up again) is the user's decision.
      BackupCheckpoint cp;
      BRIX_RETURN_IF_ERROR(GetMeta(*storage_, kMetaBackupCheckpoint, o.name, &cp));
      for (const auto& r : cp.ranges()) RecordDone(r);
    }
    return Status::OK();
  }

  // Requires nothing; takes mu_.
  void RecordDone(const RangeDone& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_.count(r.start_key())) return;  // the same range recorded twice (resume)
    done_[r.start_key()] = r.end_key();
    for (const auto& f : r.files()) {
      files_.push_back(f);
      bytes_done_ += f.size();
    }
  }

  Status FlushCheckpoint() {
    BackupCheckpoint cp;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) return Status::OK();
      for (auto& r : pending_) *cp.add_ranges() = std::move(r);
      pending_.clear();
    }
    std::string name =
        std::string(kCheckpointPrefix) + std::to_string(UnixMillis()) + "-" + NewUuid();
    Status s = PutMeta(*storage_, kMetaBackupCheckpoint, name, cp);
    if (!s.ok()) {  // keep them for the next flush
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& r : cp.ranges()) pending_.push_back(r);
    }
    return s;
  }

  void Report() {
    if (!progress_) return;
    std::lock_guard<std::mutex> lock(mu_);
    progress_({"backup", done_.size(), done_.size() + todo_count_, bytes_done_});
  }

  // One round: locate every unfinished range, send each store its pieces, collect results.
  // Returns how many pieces finished.
  Result<size_t> Round(const std::vector<KeyRange>& todo) {
    BRIX_ASSIGN_OR_RETURN(auto stores, pd_->GetStores());
    std::map<uint64_t, std::string> addresses;
    for (const auto& s : stores) addresses[s.id()] = s.address();
    std::map<uint64_t, std::vector<BackupRange>> by_store;
    for (const auto& r : todo) {
      BRIX_ASSIGN_OR_RETURN(auto regions, pd_->GetRegions(r.start, r.end));
      for (const auto& region : regions) {
        BackupRange piece;
        piece.set_region_id(region.id());
        piece.set_epoch(region.epoch());
        piece.set_start_key(std::max(r.start, region.start_key()));
        piece.set_end_key(region.end_key().empty() ? r.end : std::min(r.end, region.end_key()));
        piece.set_table_id(r.table_id);
        if (piece.start_key() < piece.end_key()) by_store[region.store_id()].push_back(piece);
      }
    }
    BRIX_ASSIGN_OR_RETURN(
        StorageTarget target,
        MakeStorageTarget(options_.storage_url, options_.send_credentials, options_.env));
    std::atomic<size_t> finished{0};
    std::vector<std::thread> threads;
    for (auto& [store_id, pieces] : by_store) {
      threads.emplace_back([&, store_id = store_id, pieces = pieces] {
        auto it = addresses.find(store_id);
        if (it == addresses.end()) return;
        BackupRequest req;
        req.set_cluster_id(cluster_id_);
        req.set_start_version(lock_.last_backup_ts());
        req.set_end_version(lock_.backup_ts());
        *req.mutable_storage() = target;
        for (const auto& p : pieces) *req.add_ranges() = p;
        req.set_concurrency(static_cast<uint32_t>(options_.concurrency));
        req.set_ratelimit_bytes_per_sec(options_.ratelimit_mib * 1024 * 1024);
        req.set_compression(options_.compression);
        req.set_sst_max_bytes(options_.sst_max_bytes);
        req.set_file_prefix(RunFolder(lock_.run_id()));
        auto stub = NodeBackup::NewStub(NodeChannel(it->second, pd_->channel_credentials()));
        grpc::ClientContext ctx;
        StreamStallGuard stall(ctx, StreamStall());  // cancels a silent node
        auto reader = stub->Backup(&ctx, req);
        BackupResponse resp;
        while (reader->Read(&resp)) {
          stall.Progress();
          if (!resp.region_error().empty()) {
            spdlog::info("backup: store {} range moved: {}", store_id, resp.region_error());
            continue;
          }
          if (!resp.error().empty()) {
            NoteRangeError(resp.range().start_key(), resp.error());
            continue;
          }
          RangeDone r;
          r.set_start_key(resp.range().start_key());
          r.set_end_key(resp.range().end_key());
          *r.mutable_files() = resp.files();
          RecordDone(r);
          {
            std::lock_guard<std::mutex> lock(mu_);
            pending_.push_back(r);
            if (todo_count_ > 0) --todo_count_;
          }
          ++finished;
          Report();
        }
        grpc::Status st = reader->Finish();
        if (!st.ok()) {
          std::string why = stall.Stalled() ? stall.Why() : st.error_message();
          spdlog::warn("backup: store {} at {}: {}", store_id, it->second, why);
          std::lock_guard<std::mutex> lock(mu_);
          last_error_ = "store " + std::to_string(store_id) + ": " + why;
        }
      });
    }
    for (auto& t : threads) t.join();
    return finished.load();
  }

  // A node answers once per piece; between two answers it may upload a whole file at its share
  // of --ratelimit.
  std::chrono::milliseconds StreamStall() const {
    double share = options_.ratelimit_mib * 1024 * 1024 / std::max(1, options_.concurrency);
    return options_.node_rpc.Throttled(share).StallFor(options_.sst_max_bytes);
  }

  void NoteRangeError(const std::string& start, const std::string& error) {
    spdlog::warn("backup: range failed: {}", error);
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = error;
    if (++range_errors_[start] >= kRangeErrorLimit) fatal_ = error;
  }

  Status BackupAllRanges() {
    std::atomic<bool> stop{false};
    std::mutex flush_mu;
    std::condition_variable flush_cv;
    std::thread flusher([&] {
      std::unique_lock<std::mutex> lock(flush_mu);
      while (!flush_cv.wait_for(lock, kCheckpointInterval, [&] { return stop.load(); })) {
        lock.unlock();
        FlushCheckpoint().IgnoreError();
        lock.lock();
      }
    });
    auto finish_flusher = [&] {
      {
        std::lock_guard<std::mutex> lock(flush_mu);
        stop = true;
      }
      flush_cv.notify_all();
      flusher.join();
    };

    Status result;
    auto last_progress = Clock::now();
    auto delay = std::chrono::milliseconds(500);
    while (true) {
      std::vector<KeyRange> todo;
      {
        std::lock_guard<std::mutex> lock(mu_);
        todo = SubtractRanges(ranges_, done_);
        todo_count_ = todo.size();
        if (!fatal_.empty()) {
          result = Status::IOError("backup failed: " + fatal_);
          break;
        }
      }
      if (todo.empty()) break;
      Report();
      auto finished = Round(todo);
      if (finished.ok() && *finished > 0) {
        last_progress = Clock::now();
        delay = std::chrono::milliseconds(500);
        continue;
      }
      if (Clock::now() - last_progress > options_.no_progress_limit) {
        std::lock_guard<std::mutex> lock(mu_);
        std::string why = finished.ok() ? last_error_ : finished.status().ToString();
        result = Status::Unavailable("backup made no progress for " +
                                     std::to_string(options_.no_progress_limit.count() / 1000) +
                                     " s; last error: " + why);
        break;
      }
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(5000));
    }
    finish_flusher();
    Status flushed = FlushCheckpoint();
    if (result.ok()) return Status::OK();  // the checkpoint is moot once every range is done
    if (!flushed.ok()) spdlog::warn("backup: saving the checkpoint: {}", flushed.ToString());
    return result;
  }

  Result<BackupMeta> BuildMeta() {
    BackupMeta meta;
    meta.set_version(kBackupMetaVersion);
    meta.set_cluster_id(cluster_id_);
    meta.set_start_version(lock_.last_backup_ts());
    meta.set_end_version(lock_.backup_ts());
    for (const auto& f : options_.filter) meta.add_filter(f);
    meta.set_br_version("brix 0.1");
    meta.set_created_unix_ms(UnixMillis());
    meta.set_compression(options_.compression);
    meta.set_run_id(lock_.run_id());
    const bool snapshot = lock_.last_backup_ts() == 0;

    std::map<int64_t, cluster::KvChecksum> from_files;
    std::sort(files_.begin(), files_.end(), [](const BackupFile& a, const BackupFile& b) {
      return a.start_key() < b.start_key();
    });
    for (const auto& f : files_) {
      *meta.add_files() = f;
      cluster::KvChecksum& sum = from_files[f.table_id()];
      sum.kvs += f.total_kvs();
      sum.bytes += f.total_bytes();
      sum.crc64xor ^= f.crc64xor();
      meta.set_total_kvs(meta.total_kvs() + f.total_kvs());
      meta.set_total_bytes(meta.total_bytes() + f.total_bytes());
      meta.set_backup_size(meta.backup_size() + f.size());
    }
    std::map<std::string, cluster::KvChecksum> cluster_sums;
    if (options_.checksum) {
      if (progress_) progress_({"checksum", 0, tables_.size(), 0});
      BRIX_ASSIGN_OR_RETURN(cluster_sums,
                            cluster::ChecksumTables(*kv_, lock_.backup_ts(), tables_));
    }
    for (const auto& t : tables_) {
      BackupTable* bt = meta.add_tables();
      bt->set_id(t.id);
      bt->set_db(t.db);
      bt->set_name(t.name);
      cluster::KvChecksum sum;
      bool have = false;
      if (options_.checksum) {
        sum = cluster_sums[t.FullName()];
        have = true;
        if (snapshot && !(from_files[t.id] == sum)) {
          return Status::Corruption("checksum mismatch for table " + t.FullName() +
                                    ": backed-up files have " + from_files[t.id].ToString() +
                                    ", the cluster at the backup ts has " + sum.ToString());
        }
      } else if (snapshot) {
        sum = from_files[t.id];
        have = true;
      }
      if (have) {
        bt->set_crc64xor(sum.crc64xor);
        bt->set_total_kvs(sum.kvs);
        bt->set_total_bytes(sum.bytes);
        bt->set_has_checksum(true);
      }
    }
    return meta;
  }

  // After the commit point: drop the lock, checkpoints, files of retried ranges that no meta
  // names, and the safepoint. Only this run's folder is searched for such files: nothing else
  // under the location is this run's to delete. (Runs from before run ids have no folder; their
  // leftovers stay.) Failures here leave only garbage, never a wrong backup.
  void Cleanup(const BackupMeta& meta) {
    std::set<std::string> named;
    for (const auto& f : meta.files()) named.insert(f.name());
    if (!lock_.run_id().empty()) {
      auto written = storage_->ListAll(RunFolder(lock_.run_id()));
      if (written.ok()) {
        for (const auto& o : *written) {
          if (!named.count(o.name)) storage_->Delete(o.name).IgnoreError();
        }
      }
    }
    storage_->DeletePrefix(kCheckpointPrefix).status().IgnoreError();
    storage_->Delete(kBackupLockName).IgnoreError();
    pd_->UpdateServiceSafePoint(lock_.safepoint_service(), 0, 0).status().IgnoreError();
  }

  const BackupOptions& options_;
  const ProgressFn& progress_;
  TableFilter filter_;
  std::unique_ptr<cluster::PdClient> pd_;
  std::unique_ptr<cluster::KvClient> kv_;
  std::unique_ptr<storage::ExternalStorage> storage_;
  uint64_t cluster_id_ = 0;
  BackupLock lock_;
  bool resumed_ = false;
  std::vector<cluster::TableRef> tables_;
  std::vector<KeyRange> ranges_;

  std::mutex mu_;                            // guards everything below
  std::map<std::string, std::string> done_;  // finished ranges: start -> end
  std::vector<BackupFile> files_;
  std::vector<RangeDone> pending_;  // finished, not yet in a checkpoint object
  std::map<std::string, int> range_errors_;
  std::string last_error_, fatal_;
  uint64_t bytes_done_ = 0;
  size_t todo_count_ = 0;
};

}  // namespace

Result<BackupSummary> RunBackup(const BackupOptions& options, const ProgressFn& progress) {
  BackupRun run(options, progress);
  return run.Run();
}

}  // namespace brix::br
