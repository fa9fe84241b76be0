#include "br/log/node_log.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "br/log/log_buffer.h"
#include "br/log/log_data_writer.h"
#include "br/log/log_files.h"
#include "br/log/log_metrics.h"
#include "br/log/log_task.h"
#include "br/log/node_replay.h"
#include "br/meta_seal.h"
#include "br/proto/log.grpc.pb.h"
#include "br/storage_target.h"
#include "cluster/client/log_task_client.h"
#include "cluster/client/pd_client.h"
#include "cluster/log_task_credentials.h"
#include "cluster/node/mvcc_store.h"
#include "cluster/safepoints.h"
#include "common/random.h"
#include "common/sealed_box.h"
#include "storage/file_stream.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;
constexpr size_t kMaxRawFileBytes = 64 << 20;  // cut data files at this many raw bytes

// Uploads entries as data files (cut at kMaxRawFileBytes) and one meta naming them. Each data
// file is streamed through a LogDataWriter (log_data_writer.h) in `scratch_dir`, so a flush holds
// one entry in memory, not the file.
class FlushWriter {
 public:
  FlushWriter(storage::ExternalStorage& storage, uint64_t store_id, uint64_t flush_ts,
              const std::string& task, std::string scratch_dir, LogTaskMetrics& metrics)
      : storage_(storage),
        store_id_(store_id),
        flush_ts_(flush_ts),
        scratch_dir_(std::move(scratch_dir)),
        metrics_(metrics) {
    meta_.set_store_id(store_id);
    meta_.set_flush_ts(flush_ts);
    meta_.set_task(task);
  }
  Status Add(LogEntry&& e) {
    if (!data_) {
      BRIX_ASSIGN_OR_RETURN(data_, LogDataWriter::Create(scratch_dir_));
      min_ts_ = UINT64_MAX;
      max_ts_ = 0;
      has_catalog_ = false;
    }
    BRIX_RETURN_IF_ERROR(data_->Add(e));
    min_ts_ = std::min(min_ts_, e.ts());
    max_ts_ = std::max(max_ts_, e.ts());
    if (!has_catalog_ && e.key().starts_with(cluster::kCatalogPrefix)) has_catalog_ = true;
    if (data_->raw_size() >= kMaxRawFileBytes) return Cut();
    return Status::OK();
  }
  // Data files first, then the meta: a crash leaves only unreferenced data files.
  Status Finish() {
    BRIX_RETURN_IF_ERROR(Cut());
    if (meta_.files_size() == 0) return Status::OK();
    std::string meta = SealMessage(kMetaLogMeta, meta_);
    BRIX_RETURN_IF_ERROR(storage_.Put(LogMetaName(store_id_, flush_ts_, NewUuid()), meta));
    metrics_.Uploaded(meta.size());
    return Status::OK();
  }
  uint64_t kvs() const { return kvs_; }

 private:
  Status Cut() {
    if (!data_) return Status::OK();
    std::unique_ptr<LogDataWriter> data = std::move(data_);
    if (data->entries() == 0) return Status::OK();
    BRIX_ASSIGN_OR_RETURN(LogDataWriter::Encoded encoded, data->Finish());
    LogFile f;
    f.set_name(LogDataName(store_id_, flush_ts_, NewUuid()));
    f.set_sha256(encoded.sha256);
    f.set_size(encoded.size);
    f.set_raw_size(encoded.raw_size);
    f.set_min_ts(min_ts_);
    f.set_max_ts(max_ts_);
    f.set_kvs(data->entries());
    f.set_has_catalog(has_catalog_);
    // Handed over: the writer removes it and never writes it again (a local location links it).
    BRIX_ASSIGN_OR_RETURN(auto source, storage::FileSource::OpenHandedOver(encoded.path));
    BRIX_RETURN_IF_ERROR(storage_.PutStream(f.name(), *source));
    metrics_.Uploaded(encoded.size);
    kvs_ += f.kvs();
    meta_.set_min_ts(meta_.files_size() == 0 ? min_ts_ : std::min(meta_.min_ts(), min_ts_));
    meta_.set_max_ts(std::max(meta_.max_ts(), max_ts_));
    *meta_.add_files() = f;
    return Status::OK();
  }

  storage::ExternalStorage& storage_;
  uint64_t store_id_;
  uint64_t flush_ts_;
  std::string scratch_dir_;
  LogTaskMetrics& metrics_;
  LogMeta meta_;
  std::unique_ptr<LogDataWriter> data_;  // the data file being written
  uint64_t min_ts_ = UINT64_MAX;
  uint64_t max_ts_ = 0;
  bool has_catalog_ = false;
  uint64_t kvs_ = 0;
};

// One running task on this node.
class TaskRunner {
 public:
  // `sealed`: the task's sealed storage credentials ("" = none), opened with the options' key.
  TaskRunner(cluster::NodeContext* node, LogTask task, int64_t task_revision, uint64_t checkpoint,
             std::string sealed, const NodeLogOptions& options)
      : node_(node),
        task_(std::move(task)),
        task_revision_(task_revision),
        credential_key_(options.credential_key),
        checkpoint_(checkpoint),
        interval_(options.flush_interval),
        dir_(node->work_dir() + "/log/" + task_.name()),
        metrics_(task_.name(), node->store_id()) {
    metrics_.Checkpoint(checkpoint_);
    sealed_ = std::move(sealed);
    std::error_code ec;
    fs::remove_all(dir_, ec);  // buffers of an earlier life: the re-scan covers them
    fs::create_directories(dir_ + "/flush", ec);  // data files being written (FlushWriter)
    buffer_ = std::make_unique<LogBuffer>(dir_, options.buffer_memory_bytes,
                                          options.test_buffer_fault_file);
    observer_ = node_->AddWriteObserver(
        [this](const std::vector<cluster::MvccMutation>& muts, uint64_t ts) {
          for (const auto& m : muts) {
            if (!IsLoggedKey(m.key)) continue;
            LogEntry e;
            e.set_key(m.key);
            e.set_ts(ts);
            e.set_is_delete(m.op == cluster::MvccOp::kDelete);
            if (m.op == cluster::MvccOp::kPut) e.set_value(m.value);
            buffer_->Append(e);
          }
        });
    thread_ = std::thread([this] { Loop(); });
  }

  ~TaskRunner() {
    node_->RemoveWriteObserver(observer_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    buffer_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const LogTask& task() const { return task_; }

  // New sealed credentials (rotation): the next flush opens the storage with them.
  void SetSealedCredentials(const std::string& sealed) {
    std::lock_guard<std::mutex> lock(mu_);
    sealed_ = sealed;
  }

  // Flushes now (waits for it); returns the store checkpoint.
  Result<uint64_t> FlushNow() {
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t want = ++flush_requests_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return flushes_done_ >= want || stop_; });
    if (!last_error_.ok()) return last_error_;
    return checkpoint_;
  }

 private:
  // The task's storage, with its forwarded credentials opened when it has any.
  Result<std::unique_ptr<storage::ExternalStorage>> OpenStorage(const std::string& sealed) {
    StorageTarget target = task_.storage();
    if (!sealed.empty()) {
      BRIX_ASSIGN_OR_RETURN(auto env,
                            cluster::OpenLogTaskCredentials(credential_key_, task_.name(), sealed));
      target.mutable_env()->clear();
      for (auto& [k, v] : env) (*target.mutable_env())[k] = std::move(v);
    }
    return OpenStorageTarget(target);
  }

  void Loop() {
    Result<std::unique_ptr<storage::ExternalStorage>> storage = Status::Unavailable("not opened");
    std::optional<std::string> opened;  // the sealed credentials `storage` was opened with
    bool first = true;
    while (true) {
      uint64_t serving;
      std::string sealed;
      {
        std::unique_lock<std::mutex> lock(mu_);
        // The first flush (the catch-up re-scan) at once, then at the next multiple of the
        // interval on the clock: every store flushes at about the same moment, so the global
        // checkpoint (their minimum) lags by about one interval rather than up to two.
        if (first) {
          first = false;
        } else {
          cv_.wait_until(lock, NextFlushSlot(),
                         [&] { return stop_ || flush_requests_ > flushes_done_; });
        }
        if (stop_) return;
        serving = flush_requests_;
        sealed = sealed_;
      }
      if (!storage.ok() || opened != sealed) {
        storage = OpenStorage(sealed);
        opened = sealed;
      }
      const auto started = std::chrono::steady_clock::now();
      Status s = storage.ok() ? Flush(**storage) : storage.status();
      if (!s.ok()) s = KeepPending(s);
      metrics_.Flushed(s.ok(), std::chrono::steady_clock::now() - started);
      Report(s);
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = s;
      flushes_done_ = std::max(flushes_done_, serving);
      cv_.notify_all();
    }
  }

  std::chrono::system_clock::time_point NextFlushSlot() const {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto interval = std::max(interval_, std::chrono::milliseconds(1));
    return std::chrono::system_clock::time_point(
        (std::chrono::duration_cast<std::chrono::milliseconds>(now) / interval + 1) * interval);
  }

  // After a failed flush the rotated writes wait for the next one on disk, not in memory, so
  // memory stays within the buffer's bound however long the storage is unreachable.
  Status KeepPending(const Status& why) {
    for (auto& writes : pending_) {
      if (Status s = writes.Spill(dir_); !s.ok()) return BufferLost(s.WithContext(why.ToString()));
    }
    return why;
  }

  // First call: the re-scan of (checkpoint, R]. Later: the buffered writes.
  Status Flush(storage::ExternalStorage& storage) {
    if (!rescanned_) {
      // A write that committed after the last resolve but before our observer was registered
      // is in neither the buffer nor a re-scan up to a stale resolved ts. A ts taken now is
      // above every such write; once resolved past it, the re-scan covers them.
      BRIX_ASSIGN_OR_RETURN(uint64_t fresh, node_->pd()->GetTs());
      BRIX_RETURN_IF_ERROR(node_->WaitResolved(fresh, std::chrono::seconds(30)));
    }
    uint64_t resolved = node_->ResolvedTs();
    if (resolved <= checkpoint_) return Status::OK();
    // Every write ≤ resolved was appended before resolved was published: rotate after reading it.
    auto rotated = buffer_->Rotate();
    if (!rotated.ok()) return BufferLost(rotated.status());
    pending_.push_back(std::move(*rotated));
    FlushWriter writer(storage, node_->store_id(), resolved, task_.name(), dir_ + "/flush",
                       metrics_);
    if (!rescanned_) {
      Status added;
      BRIX_RETURN_IF_ERROR(
          node_->store()->Visit("", "", checkpoint_, resolved, cluster::VisitMode::kAllVersions,
                                [&](const cluster::MvccEntry& e) {
                                  if (!IsLoggedKey(e.user_key)) return true;
                                  LogEntry le;
                                  le.set_key(std::string(e.user_key));
                                  le.set_ts(e.commit_ts);
                                  le.set_is_delete(e.op == cluster::MvccOp::kDelete);
                                  if (e.op == cluster::MvccOp::kPut)
                                    le.set_value(std::string(e.value));
                                  added = writer.Add(std::move(le));
                                  return added.ok();
                                }));
      BRIX_RETURN_IF_ERROR(added);
    }
    for (const auto& writes : pending_) {
      Status added;
      Status read = writes.ForEach([&](LogEntry&& e) {
        if (added.ok()) added = writer.Add(std::move(e));
      });
      if (!read.ok()) return BufferLost(read);
      BRIX_RETURN_IF_ERROR(added);
    }
    BRIX_RETURN_IF_ERROR(writer.Finish());
    for (auto& writes : pending_) writes.Remove();
    pending_.clear();
    rescanned_ = true;
    checkpoint_ = resolved;
    metrics_.Checkpoint(resolved);
    // The checkpoint moves only once the data and meta are durable on the storage; kvpd moves
    // the task's service safepoint with it (and refuses both once the task is stopped).
    BRIX_ASSIGN_OR_RETURN(uint64_t global, ReportCheckpoint(resolved, ""));
    if (global > 0) {
      storage
          .Put(std::string(kGlobalCheckpointPrefix) + std::to_string(node_->store_id()) + ".ts",
               SealMeta(kMetaGlobalCheckpoint, std::to_string(global)))
          .IgnoreError();
    }
    return Status::OK();
  }

  // The buffer missed writes (a full disk): drop every unsent buffer and re-scan the store from
  // the checkpoint at the next flush, which already has to cover (checkpoint, resolved] on start.
  // The checkpoint stays where it is until that succeeds.
  Status BufferLost(const Status& why) {
    for (auto& writes : pending_) writes.Remove();
    pending_.clear();
    rescanned_ = false;
    return why.WithContext("log buffer lost writes; the next flush re-scans from checkpoint " +
                           std::to_string(checkpoint_));
  }

  Result<uint64_t> ReportCheckpoint(uint64_t checkpoint, const std::string& error) {
    cluster::LogCheckpointReport report;
    report.name = task_.name();
    report.store_id = node_->store_id();
    report.checkpoint = checkpoint;
    report.error = error;
    report.task_create_revision = task_revision_;
    report.service_safepoint = cluster::LogTaskSafePointName(task_.name());
    report.safepoint_ttl = cluster::kLogSafePointTtl;
    return cluster::LogTaskClient(*node_->pd()).ReportCheckpoint(report);
  }

  void Report(const Status& s) {
    if (s.ok()) return;
    spdlog::warn("log backup {}: flush failed (will retry): {}", task_.name(), s.ToString());
    ReportCheckpoint(0, s.ToString()).status().IgnoreError();
  }

  cluster::NodeContext* node_;
  LogTask task_;
  int64_t task_revision_;  // the create revision of its definition in kvpd
  std::string credential_key_;
  uint64_t checkpoint_;
  std::chrono::milliseconds interval_;
  std::string dir_;
  LogTaskMetrics metrics_;
  std::unique_ptr<LogBuffer> buffer_;
  int observer_ = 0;
  std::vector<BufferedWrites> pending_;  // rotated buffers not yet uploaded
  bool rescanned_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t flush_requests_ = 0, flushes_done_ = 0;
  std::string sealed_;  // the newest sealed credentials kvpd has for the task
  Status last_error_;
  std::thread thread_;
};

class NodeLogService final : public NodeLog::Service {
 public:
  NodeLogService(cluster::NodeContext* node, NodeLogOptions options)
      : node_(node), options_(options), replay_(node) {
    thread_ = std::thread([this] { Manage(); });
  }
  ~NodeLogService() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    runners_.clear();
  }

  grpc::Status Flush(grpc::ServerContext*, const LogFlushRequest*,
                     LogFlushResponse* resp) override {
    std::vector<std::shared_ptr<TaskRunner>> runners;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [name, r] : runners_) runners.push_back(r);
    }
    for (auto& r : runners) {
      auto ckpt = r->FlushNow();
      if (!ckpt.ok()) {
        resp->set_error(ckpt.status().ToString());
      } else {
        (*resp->mutable_checkpoints())[r->task().name()] = *ckpt;
      }
    }
    return grpc::Status::OK;
  }

  // PITR replay: node_replay.h.
  grpc::Status ApplyVersions(grpc::ServerContext*, const ApplyVersionsRequest* req,
                             ApplyVersionsResponse* resp) override {
    return replay_.ApplyVersions(*req, resp);
  }
  grpc::Status StageVersions(grpc::ServerContext*, const StageVersionsRequest* req,
                             StageVersionsResponse* resp) override {
    return replay_.StageVersions(*req, resp);
  }
  grpc::Status FinishReplay(grpc::ServerContext*, const FinishReplayRequest* req,
                            FinishReplayResponse* resp) override {
    return replay_.FinishReplay(*req, resp);
  }

 private:
  // Keeps one runner per running task; none for paused, stopped or deleted ones.
  void Manage() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, options_.poll_interval, [&] { return stop_; })) {
      lock.unlock();
      Sync();
      lock.lock();
    }
  }

  void Sync() {
    cluster::LogTaskClient tasks(*node_->pd());
    auto names = tasks.List();
    if (!names.ok()) return;  // kvpd unreachable: keep what runs
    struct Wanted {
      LogTask task;
      int64_t revision;
      uint64_t checkpoint;
      std::string sealed;
    };
    std::map<std::string, Wanted> wanted;
    for (const auto& name : *names) {
      // The name becomes this node's folder for the task: never a path outside it.
      if (Status bad = CheckPathComponent("log task name", name); !bad.ok()) {
        spdlog::error("log backup: ignoring a task: {}", bad.ToString());
        continue;
      }
      auto got = tasks.Get(name, /*with_sealed_credentials=*/true);
      if (!got.ok()) return;
      const cluster::LogTaskGetResponse& resp = *got;
      LogTask task;
      if (!resp.found() || !task.ParseFromString(resp.definition()) || task.name() != name)
        continue;
      if (task.state() != LogTask::RUNNING) continue;
      uint64_t ckpt = task.start_ts();
      auto it = resp.store_checkpoints().find(node_->store_id());
      if (it != resp.store_checkpoints().end()) ckpt = std::max(ckpt, it->second);
      wanted[name] = {task, resp.create_revision(), ckpt, resp.sealed_credentials()};
    }
    std::vector<std::shared_ptr<TaskRunner>> retired;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = runners_.begin(); it != runners_.end();) {
        auto w = wanted.find(it->first);
        // A task re-created under the same name (new storage) is a different task.
        if (w == wanted.end() ||
            w->second.task.created_unix_ms() != it->second->task().created_unix_ms()) {
          retired.push_back(it->second);
          it = runners_.erase(it);
        } else {
          it->second->SetSealedCredentials(w->second.sealed);
          ++it;
        }
      }
      for (auto& [name, w] : wanted) {
        if (runners_.count(name)) continue;
        spdlog::info("log backup {}: starting on store {} from checkpoint {}", name,
                     node_->store_id(), w.checkpoint);
        runners_[name] = std::make_shared<TaskRunner>(node_, w.task, w.revision, w.checkpoint,
                                                      w.sealed, options_);
      }
    }
    retired.clear();  // stops them outside the lock
  }

  cluster::NodeContext* node_;
  NodeLogOptions options_;
  NodeReplay replay_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, std::shared_ptr<TaskRunner>> runners_;
  std::thread thread_;
};

}  // namespace

cluster::NodeServiceFactory NodeLogServiceFactory(NodeLogOptions options) {
  return [options](cluster::NodeContext* node) -> std::unique_ptr<grpc::Service> {
    return std::make_unique<NodeLogService>(node, options);
  };
}

}  // namespace brix::br
