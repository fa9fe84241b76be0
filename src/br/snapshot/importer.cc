#include "br/snapshot/importer.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "br/snapshot/node_channel.h"
#include "common/backoff.h"
#include "common/parallel.h"
#include "common/random.h"
#include "net/grpc_status.h"

namespace brix::br {
namespace {

constexpr BackoffOptions kDownloadRetries{.max_attempts = 5,
                                          .base_delay = std::chrono::milliseconds(200),
                                          .max_delay = std::chrono::milliseconds(5000)};

std::string RewriteKey(const std::string& key, const RewriteRule& rule) {
  if (rule.old_prefix().empty() || key.compare(0, rule.old_prefix().size(), rule.old_prefix()) != 0)
    return key;
  return rule.new_prefix() + key.substr(rule.old_prefix().size());
}

}  // namespace

struct Importer::Task {
  uint64_t store_id = 0;
  DownloadRequest request;
  uint64_t bytes = 0;
};

Importer::Importer(cluster::PdClient& pd, StorageTarget storage, int concurrency,
                   double ratelimit_mib, const ProgressFn& progress, const NodeRpcLimits& limits)
    : pd_(pd),
      storage_(std::move(storage)),
      concurrency_(std::max(1, concurrency)),
      ratelimit_mib_(ratelimit_mib),
      progress_(progress),
      limits_(limits),
      download_limits_(limits.Throttled(ratelimit_mib * 1024 * 1024 / concurrency_)) {}

Result<NodeBackup::Stub*> Importer::StubFor(uint64_t store_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stubs_.find(store_id);
  if (it != stubs_.end()) return it->second.get();
  auto addr = addresses_.find(store_id);
  if (addr == addresses_.end()) {
    return Status::Unavailable("store " + std::to_string(store_id) + " is not registered");
  }
  auto stub = NodeBackup::NewStub(NodeChannel(addr->second, pd_.channel_credentials()));
  auto* raw = stub.get();
  stubs_[store_id] = std::move(stub);
  return raw;
}

Status Importer::DownloadOne(Task& task) {
  BRIX_ASSIGN_OR_RETURN(NodeBackup::Stub * stub, StubFor(task.store_id));
  auto download = [&](int) -> Status {
    grpc::ClientContext ctx;
    SetNodeDeadline(ctx, download_limits_, task.bytes);
    DownloadResponse resp;
    grpc::Status st = stub->Download(&ctx, task.request, &resp);
    if (st.ok() && resp.error().empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!resp.empty()) {
        staged_[task.store_id].push_back(task.request.uuid());
        staged_bytes_[task.store_id] += task.bytes;
      }
      bytes_done_ += task.bytes;
      if (resp.staged_as_is()) ++as_is_;
      ++tasks_done_;
      return Status::OK();
    }
    if (!st.ok()) return net::FromGrpc(st, "store " + std::to_string(task.store_id));
    if (resp.corrupt()) return Status::Corruption(resp.error());
    return Status::IOError(resp.error());
  };
  // A verified corruption is final; anything else (storage hiccups) is retried.
  return RetryWithBackoff(
      kDownloadRetries, download,
      [](const Status& s) { return s.code() != Status::Code::kCorruption; },
      [](int attempt, const Status& s) {
        spdlog::warn("import: download try {} failed: {}", attempt, s.ToString());
      });
}

Status Importer::Run(const std::vector<ImportFile>& files) {
  BRIX_RETURN_IF_ERROR(Stage(files));
  return Ingest();
}

Status Importer::Stage(const std::vector<ImportFile>& files) {
  // Plan: one download per (file, overlapping region).
  std::vector<Task> tasks;
  for (const auto& f : files) {
    std::string start = RewriteKey(f.file.start_key(), f.rewrite);
    std::string end = RewriteKey(f.file.end_key(), f.rewrite);
    BRIX_ASSIGN_OR_RETURN(auto regions, pd_.GetRegions(start, end));
    for (const auto& region : regions) {
      Task task;
      task.store_id = region.store_id();
      task.bytes = f.file.size();
      DownloadRequest& req = task.request;
      req.set_uuid(NewUuid());
      *req.mutable_storage() = storage_;
      *req.add_files() = f.file;
      *req.mutable_rewrite() = f.rewrite;
      req.set_start_key(std::max(start, region.start_key()));
      req.set_end_key(region.end_key().empty() ? end : std::min(end, region.end_key()));
      req.set_ratelimit_bytes_per_sec(ratelimit_mib_ * 1024 * 1024);
      req.set_min_ts_exclusive(f.min_ts_exclusive);
      req.set_max_ts(f.max_ts);
      tasks.push_back(std::move(task));
    }
  }
  tasks_total_ = tasks.size();
  BRIX_ASSIGN_OR_RETURN(auto stores, pd_.GetStores());
  for (const auto& s : stores) addresses_[s.id()] = s.address();

  // Download: concurrency is per node, so one group per store.
  const auto started = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  std::thread reporter([&] {
    while (!stop.load()) {
      if (progress_) {
        std::lock_guard<std::mutex> lock(mu_);
        progress_({"download", tasks_done_, tasks_total_, bytes_done_});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  std::map<uint64_t, std::vector<Task*>> by_store;
  for (auto& t : tasks) by_store[t.store_id].push_back(&t);
  std::vector<Status> results(by_store.size());
  std::vector<std::thread> threads;
  size_t i = 0;
  for (auto& [store, list] : by_store) {
    threads.emplace_back([&, idx = i++, list = list] {
      TaskGroup group(concurrency_);
      for (Task* t : list) group.Submit([&, t] { return DownloadOne(*t); });
      results[idx] = group.Wait();
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  reporter.join();
  for (const auto& r : results) {
    if (!r.ok()) return r.WithContext("nothing was ingested; restore refused");
  }

  spdlog::debug("import: {} downloads ({} files, {} staged as is) in {:.3f}s", tasks_total_,
                files.size(), as_is_,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  return Status::OK();
}

Status Importer::Ingest() {
  if (progress_) progress_({"ingest", 0, staged_.size(), bytes_done_});
  // One call per node, the nodes in parallel.
  TaskGroup group(static_cast<int>(std::max<size_t>(1, staged_.size())));
  for (const auto& [store_id, uuids] : staged_) {
    group.Submit([this, store = store_id, &uuids]() -> Status {
      BRIX_ASSIGN_OR_RETURN(NodeBackup::Stub * stub, StubFor(store));
      IngestRequest req;
      for (const auto& u : uuids) req.add_uuids(u);
      grpc::ClientContext ctx;
      SetNodeDeadline(ctx, limits_, staged_bytes_.at(store));
      IngestResponse resp;
      grpc::Status st = stub->Ingest(&ctx, req, &resp);
      if (!st.ok()) return net::FromGrpc(st, "ingest on store " + std::to_string(store));
      if (!resp.error().empty()) {
        return Status::IOError("ingest on store " + std::to_string(store) + ": " + resp.error());
      }
      return Status::OK();
    });
  }
  return group.Wait();
}

}  // namespace brix::br
