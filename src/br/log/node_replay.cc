#include "br/log/node_replay.h"

#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <queue>
#include <set>
#include <vector>

#include "br/sst.h"
#include "cluster/mvcc.h"
#include "cluster/node/mvcc_store.h"
#include "common/random.h"
#include "common/sealed_box.h"
#include "net/grpc_status.h"

namespace brix::br {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Encoded = std::pair<std::string, std::string>;  // MVCC key, stored value

namespace {

constexpr uint64_t kMergedFileBytes = 256 << 20;  // merged SSTs are cut at this many bytes
constexpr size_t kEntryOverhead = 64;             // per buffered version, beyond its bytes
constexpr size_t kFinishedRunsKept = 1000;        // ids remembered to refuse late batches

bool Inside(const cluster::Region& region, const std::string& key) {
  return key >= region.start_key() && (region.end_key().empty() || key < region.end_key());
}

bool Less(const Encoded& a, const Encoded& b) {
  return cluster::MvccComparator()->Compare(a.first, b.first) < 0;
}

// Sorts `versions` and writes them, one copy of each key, to a new SST at `path`; returns how
// many it wrote.
Result<uint64_t> WriteSortedRun(std::vector<Encoded> versions, const std::string& path) {
  std::sort(versions.begin(), versions.end(), Less);
  BRIX_ASSIGN_OR_RETURN(auto writer, SstWriter::Create(path, "lz4"));
  const Encoded* last = nullptr;
  for (const auto& v : versions) {
    if (last && last->first == v.first) continue;  // a retried batch: the same version
    BRIX_RETURN_IF_ERROR(writer->Add(v.first, v.second));
    last = &v;
  }
  BRIX_RETURN_IF_ERROR(writer->Finish().status());
  return writer->entries();
}

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  return Status::IOError(what + ": " + s.ToString());
}

// Merges sorted SST runs into non-overlapping SSTs in `dir`, one copy of each key; returns their
// paths. Hand-written k-way merge: RocksDB offers no merge of external SSTs short of ingesting
// them into a database, which is what this avoids until everything is there.
Result<std::vector<std::string>> MergeRuns(const std::vector<std::string>& runs,
                                           const std::string& dir, uint64_t* kvs) {
  rocksdb::Options options;
  options.comparator = cluster::MvccComparator();
  std::vector<std::unique_ptr<rocksdb::SstFileReader>> readers;
  std::vector<std::unique_ptr<rocksdb::Iterator>> its;
  for (const auto& path : runs) {
    readers.push_back(std::make_unique<rocksdb::SstFileReader>(options));
    BRIX_RETURN_IF_ERROR(FromRocks(readers.back()->Open(path), "open " + path));
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    its.emplace_back(readers.back()->NewIterator(ro));
    its.back()->SeekToFirst();
  }
  const rocksdb::Comparator* cmp = cluster::MvccComparator();
  auto after = [&](size_t a, size_t b) { return cmp->Compare(its[a]->key(), its[b]->key()) > 0; };
  std::priority_queue<size_t, std::vector<size_t>, decltype(after)> heap(after);
  for (size_t i = 0; i < its.size(); ++i) {
    if (its[i]->Valid()) heap.push(i);
    BRIX_RETURN_IF_ERROR(FromRocks(its[i]->status(), "read " + runs[i]));
  }
  std::vector<std::string> out;
  std::unique_ptr<SstWriter> writer;
  uint64_t bytes = 0;
  std::string last;
  bool have_last = false;
  while (!heap.empty()) {
    size_t i = heap.top();
    heap.pop();
    rocksdb::Slice key = its[i]->key(), value = its[i]->value();
    if (!have_last || cmp->Compare(key, last) != 0) {
      if (writer && bytes >= kMergedFileBytes) {
        BRIX_RETURN_IF_ERROR(writer->Finish().status());
        writer.reset();
      }
      if (!writer) {
        out.push_back(dir + "/merged-" + std::to_string(out.size()) + ".sst");
        BRIX_ASSIGN_OR_RETURN(writer, SstWriter::Create(out.back(), "lz4"));
        bytes = 0;
      }
      BRIX_RETURN_IF_ERROR(writer->Add(key.ToStringView(), value.ToStringView()));
      bytes += key.size() + value.size();
      *kvs += 1;
      last.assign(key.data(), key.size());
      have_last = true;
    }
    its[i]->Next();
    if (its[i]->Valid()) heap.push(i);
    BRIX_RETURN_IF_ERROR(FromRocks(its[i]->status(), "read " + runs[i]));
  }
  if (writer) BRIX_RETURN_IF_ERROR(writer->Finish().status());
  return out;
}

}  // namespace

struct NodeReplay::Run {
  std::string dir;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Encoded> buffer;
  size_t bytes = 0;
  bool spilling = false;  // a full buffer is being sorted and written
  bool finished = false;  // FinishReplay took it: late batches are refused
  std::vector<std::string> files;
  uint64_t kvs = 0;  // in `files` (a key may be in several)
  std::set<uint64_t> batches;
  Status failed;  // a spill failed: the run cannot finish
  Clock::time_point used = Clock::now();
};

NodeReplay::NodeReplay(cluster::NodeContext* node, size_t spill_bytes)
    : node_(node), spill_bytes_(spill_bytes), dir_(node->work_dir() + "/replay") {
  std::error_code ec;
  fs::remove_all(dir_, ec);  // runs of an earlier life: their coordinators learn it at the finish
}

NodeReplay::~NodeReplay() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::shared_ptr<NodeReplay::Run> NodeReplay::FindRun(const std::string& id, bool create) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  for (auto it = runs_.begin(); it != runs_.end();) {
    bool idle = false;
    {
      std::lock_guard<std::mutex> run_lock(it->second->mu);
      idle = !it->second->spilling && now - it->second->used > kReplayIdleTimeout;
    }
    if (idle && it->first != id) {
      spdlog::warn("PITR replay run {} idle for {} h: dropped", it->first,
                   kReplayIdleTimeout.count());
      std::error_code ec;
      fs::remove_all(it->second->dir, ec);
      finished_.insert(it->first);
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
  auto it = runs_.find(id);
  if (it != runs_.end()) return it->second;
  if (!create || finished_.count(id)) return nullptr;
  auto run = std::make_shared<Run>();
  run->dir = dir_ + "/" + id;
  runs_[id] = run;
  return run;
}

void NodeReplay::DropRun(const std::string& id) {
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_.size() >= kFinishedRunsKept) finished_.clear();
    finished_.insert(id);
    auto it = runs_.find(id);
    if (it == runs_.end()) return;
    run = it->second;
    runs_.erase(it);
  }
  std::error_code ec;
  fs::remove_all(run->dir, ec);
}

grpc::Status NodeReplay::ApplyVersions(const ApplyVersionsRequest& req,
                                       ApplyVersionsResponse* resp) {
  auto region = node_->OwnedRegion(req.region_id(), req.epoch());
  if (!region.ok()) {
    resp->set_region_error(region.status().message());
    return grpc::Status::OK;
  }
  std::vector<cluster::MvccVersion> versions;
  versions.reserve(static_cast<size_t>(req.entries_size()));
  for (const auto& e : req.entries()) {
    if (!Inside(*region, e.key())) {
      resp->set_region_error("key outside region " + std::to_string(region->id()));
      return grpc::Status::OK;
    }
    versions.push_back({e.key(), e.ts(),
                        e.is_delete() ? cluster::MvccOp::kDelete : cluster::MvccOp::kPut,
                        e.value()});
  }
  Status s = node_->store()->WriteVersions(versions);
  if (!s.ok()) resp->set_error(s.ToString());
  return grpc::Status::OK;
}

grpc::Status NodeReplay::StageVersions(const StageVersionsRequest& req,
                                       StageVersionsResponse* resp) {
  // The run id names a folder: never a path elsewhere.
  if (Status bad = CheckPathComponent("run", req.run()); !bad.ok()) return net::ToGrpc(bad);
  auto region = node_->OwnedRegion(req.region_id(), req.epoch());
  if (!region.ok()) {
    resp->set_region_error(region.status().message());
    return grpc::Status::OK;
  }
  std::vector<Encoded> versions;
  versions.reserve(static_cast<size_t>(req.entries_size()));
  size_t bytes = 0;
  for (const auto& e : req.entries()) {
    if (!Inside(*region, e.key())) {
      resp->set_region_error("key outside region " + std::to_string(region->id()));
      return grpc::Status::OK;
    }
    versions.emplace_back(
        cluster::EncodeMvccKey(e.key(), e.ts()),
        cluster::EncodeMvccValue(e.is_delete() ? cluster::MvccOp::kDelete : cluster::MvccOp::kPut,
                                 e.value()));
    bytes += versions.back().first.size() + versions.back().second.size() + kEntryOverhead;
  }
  std::shared_ptr<Run> run = FindRun(req.run(), /*create=*/true);
  if (!run) {
    resp->set_error("PITR replay run " + req.run() + " is already finished");
    return grpc::Status::OK;
  }
  std::unique_lock<std::mutex> lock(run->mu);
  // Back-pressure: a full buffer waits until the one before it is written.
  run->cv.wait(lock, [&] { return !run->spilling || run->bytes < spill_bytes_; });
  if (run->finished) {
    resp->set_error("replay run " + req.run() + " is already finished");
    return grpc::Status::OK;
  }
  if (!run->failed.ok()) {
    resp->set_error(run->failed.ToString());
    return grpc::Status::OK;
  }
  run->used = Clock::now();
  for (auto& v : versions) run->buffer.push_back(std::move(v));
  run->bytes += bytes;
  run->batches.insert(req.batch());
  if (run->bytes < spill_bytes_ || run->spilling) return grpc::Status::OK;
  // This batch filled the buffer: sort and write it outside the lock while others fill the next.
  std::vector<Encoded> full = std::move(run->buffer);
  run->buffer.clear();
  run->bytes = 0;
  run->spilling = true;
  std::string path =
      run->dir + "/run-" + std::to_string(run->files.size()) + "-" + NewUuid() + ".sst";
  lock.unlock();
  std::error_code ec;
  fs::create_directories(run->dir, ec);
  Result<uint64_t> written = WriteSortedRun(std::move(full), path);
  lock.lock();
  run->spilling = false;
  if (written.ok()) {
    run->files.push_back(path);
    run->kvs += *written;
  } else {
    run->failed = written.status().WithContext("PITR replay run " + req.run());
    resp->set_error(run->failed.ToString());
  }
  run->cv.notify_all();
  return grpc::Status::OK;
}

grpc::Status NodeReplay::FinishReplay(const FinishReplayRequest& req, FinishReplayResponse* resp) {
  if (Status bad = CheckPathComponent("run", req.run()); !bad.ok()) return net::ToGrpc(bad);
  if (!req.ingest()) {
    DropRun(req.run());
    return grpc::Status::OK;
  }
  std::shared_ptr<Run> run = FindRun(req.run(), /*create=*/req.batches_size() == 0);
  if (!run) {
    resp->set_error("PITR replay run " + req.run() + " is unknown on store " +
                    std::to_string(node_->store_id()) +
                    " (the node restarted, or the run was idle too long): its staged versions are "
                    "lost");
    return grpc::Status::OK;
  }
  std::unique_lock<std::mutex> lock(run->mu);
  run->cv.wait(lock, [&] { return !run->spilling; });
  Status s = run->failed;
  int missing = 0;
  for (uint64_t b : req.batches()) missing += run->batches.count(b) ? 0 : 1;
  if (s.ok() && missing > 0) {
    s = Status::FailedPrecondition("PITR replay run " + req.run() + ": store " +
                                   std::to_string(node_->store_id()) + " misses " +
                                   std::to_string(missing) + " of its " +
                                   std::to_string(req.batches_size()) + " batches");
  }
  if (!s.ok()) {
    resp->set_error(s.ToString());
    return grpc::Status::OK;
  }
  run->finished = true;
  std::vector<Encoded> rest = std::move(run->buffer);
  run->buffer.clear();
  run->bytes = 0;
  std::vector<std::string> files = run->files;
  uint64_t kvs = run->kvs;
  lock.unlock();
  run->cv.notify_all();

  std::error_code ec;
  fs::create_directories(run->dir, ec);
  if (!rest.empty()) {
    std::string path = run->dir + "/run-last.sst";
    Result<uint64_t> written = WriteSortedRun(std::move(rest), path);
    s = written.status();
    if (written.ok()) kvs += *written;
    files.push_back(path);
  }
  std::vector<std::string> ingest = files;
  if (s.ok() && files.size() > 1) {
    kvs = 0;
    auto merged = MergeRuns(files, run->dir, &kvs);
    if (merged.ok()) {
      ingest = std::move(*merged);
    } else {
      s = merged.status();
    }
  }
  if (s.ok()) s = node_->store()->Ingest(ingest);
  DropRun(req.run());
  if (!s.ok()) {
    resp->set_error(s.WithContext("PITR replay run " + req.run()).ToString());
    return grpc::Status::OK;
  }
  resp->set_kvs(kvs);
  resp->set_ssts(ingest.size());
  return grpc::Status::OK;
}

}  // namespace brix::br
