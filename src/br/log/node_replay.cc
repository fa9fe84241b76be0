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

#include "br/log/node_replay_batch.h"
#include "br/sst.h"
#include "cluster/mvcc.h"
#include "cluster/node/mvcc_store.h"
#include "common/random.h"
#include "common/sealed_box.h"
#include "net/grpc_status.h"

namespace brix::br {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kMergedFileBytes = 256 << 20;  // merged SSTs are cut at this many bytes
constexpr char kRunCompression[] = "none";        // sorted runs: read once by the merge, then gone
constexpr char kIngestCompression[] = "lz4";      // what the node ingests
constexpr size_t kFinishedRunsKept = 1000;        // ids remembered to refuse late batches

bool Inside(const cluster::Region& region, std::string_view key) {
  return key >= region.start_key() && (region.end_key().empty() || key < region.end_key());
}

// One buffered version: views into a staged batch (node_replay_batch.h) the buffer holds.
struct Version {
  const char* key;
  const char* value;
  uint32_t key_size;
  uint32_t value_size;
  std::string_view Key() const { return {key, key_size}; }
  std::string_view Value() const { return {value, value_size}; }
};

// Staged versions as they arrived: the batches' bytes and a view of each version into them.
struct Buffer {
  std::vector<std::unique_ptr<std::string>> batches;
  std::vector<Version> versions;
  size_t bytes = 0;  // the batches' bytes and the views
};

// Writes sorted versions to SSTs `prefix`-N.sst, cut at `cut_bytes` of keys and values.
class CutSstWriter {
 public:
  CutSstWriter(std::string prefix, const char* compression, uint64_t cut_bytes)
      : prefix_(std::move(prefix)), compression_(compression), cut_bytes_(cut_bytes) {}
  Status Add(std::string_view key, std::string_view value) {
    if (writer_ && bytes_ >= cut_bytes_) BRIX_RETURN_IF_ERROR(Close());
    if (!writer_) {
      paths_.push_back(prefix_ + "-" + std::to_string(paths_.size()) + ".sst");
      BRIX_ASSIGN_OR_RETURN(writer_, SstWriter::Create(paths_.back(), compression_));
      bytes_ = 0;
    }
    bytes_ += key.size() + value.size();
    return writer_->Add(key, value);
  }
  // The files written; adds the versions in them to `*kvs`.
  Result<std::vector<std::string>> Finish(uint64_t* kvs) {
    if (writer_) BRIX_RETURN_IF_ERROR(Close());
    *kvs += entries_;
    return std::move(paths_);
  }

 private:
  Status Close() {
    BRIX_RETURN_IF_ERROR(writer_->Finish().status());
    entries_ += writer_->entries();
    writer_.reset();
    return Status::OK();
  }
  std::string prefix_;
  const char* compression_;
  uint64_t cut_bytes_;
  std::unique_ptr<SstWriter> writer_;
  uint64_t bytes_ = 0;
  uint64_t entries_ = 0;
  std::vector<std::string> paths_;
};

// Sorts the buffer (once) and writes it, one copy of each key, to new SSTs `prefix`-N.sst cut at
// `cut_bytes`; returns their paths and adds the versions written to `*kvs`.
Result<std::vector<std::string>> WriteSorted(Buffer buffer, const std::string& prefix,
                                             const char* compression, uint64_t cut_bytes,
                                             uint64_t* kvs) {
  const rocksdb::Comparator* cmp = cluster::MvccComparator();
  std::sort(
      buffer.versions.begin(), buffer.versions.end(), [cmp](const Version& a, const Version& b) {
        return cmp->Compare(rocksdb::Slice(a.key, a.key_size), rocksdb::Slice(b.key, b.key_size)) <
               0;
      });
  CutSstWriter out(prefix, compression, cut_bytes);
  const Version* last = nullptr;
  for (const auto& v : buffer.versions) {
    if (last && last->Key() == v.Key()) continue;  // a retried batch: the same version
    BRIX_RETURN_IF_ERROR(out.Add(v.Key(), v.Value()));
    last = &v;
  }
  return out.Finish(kvs);
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
  CutSstWriter out(dir + "/merged", kIngestCompression, kMergedFileBytes);
  std::string last;
  bool have_last = false;
  while (!heap.empty()) {
    size_t i = heap.top();
    heap.pop();
    rocksdb::Slice key = its[i]->key(), value = its[i]->value();
    if (!have_last || cmp->Compare(key, last) != 0) {
      BRIX_RETURN_IF_ERROR(out.Add(key.ToStringView(), value.ToStringView()));
      last.assign(key.data(), key.size());
      have_last = true;
    }
    its[i]->Next();
    if (its[i]->Valid()) heap.push(i);
    BRIX_RETURN_IF_ERROR(FromRocks(its[i]->status(), "read " + runs[i]));
  }
  return out.Finish(kvs);
}

}  // namespace

struct NodeReplay::Run {
  std::string dir;
  std::mutex mu;
  std::condition_variable cv;
  Buffer buffer;
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
  // The batch's bytes (one copy: the request is the server's) and, from an older coordinator,
  // its entries encoded the same way.
  auto batch = std::make_unique<std::string>(req.encoded());
  for (const auto& e : req.entries()) {
    AppendStagedVersion(batch.get(), {}, e.key(), e.ts(), e.is_delete(), e.value());
  }
  std::vector<Version> versions;
  StagedVersionReader reader(*batch);
  std::string_view key, value;
  while (reader.Next(&key, &value)) {
    if (!Inside(*region, key.substr(0, key.size() - 8))) {
      resp->set_region_error("key outside region " + std::to_string(region->id()));
      return grpc::Status::OK;
    }
    versions.push_back({key.data(), value.data(), static_cast<uint32_t>(key.size()),
                        static_cast<uint32_t>(value.size())});
  }
  if (reader.corrupt()) {
    resp->set_error("PITR replay run " + req.run() + ": batch " + std::to_string(req.batch()) +
                    " does not parse");
    return grpc::Status::OK;
  }
  size_t bytes = batch->size() + versions.size() * sizeof(Version);
  std::shared_ptr<Run> run = FindRun(req.run(), /*create=*/true);
  if (!run) {
    resp->set_error("PITR replay run " + req.run() + " is already finished");
    return grpc::Status::OK;
  }
  std::unique_lock<std::mutex> lock(run->mu);
  // Back-pressure: a full buffer waits until the one before it is written.
  run->cv.wait(lock, [&] { return !run->spilling || run->buffer.bytes < spill_bytes_; });
  if (run->finished) {
    resp->set_error("replay run " + req.run() + " is already finished");
    return grpc::Status::OK;
  }
  if (!run->failed.ok()) {
    resp->set_error(run->failed.ToString());
    return grpc::Status::OK;
  }
  run->used = Clock::now();
  Buffer& buffer = run->buffer;
  buffer.batches.push_back(std::move(batch));
  buffer.versions.insert(buffer.versions.end(), versions.begin(), versions.end());
  buffer.bytes += bytes;
  run->batches.insert(req.batch());
  resp->set_versions(versions.size());
  if (buffer.bytes < spill_bytes_ || run->spilling) return grpc::Status::OK;
  // This batch filled the buffer: sort and write it outside the lock while others fill the next.
  Buffer full = std::move(run->buffer);
  run->buffer = Buffer{};
  run->spilling = true;
  std::string prefix = run->dir + "/run-" + std::to_string(run->files.size()) + "-" + NewUuid();
  lock.unlock();
  std::error_code ec;
  fs::create_directories(run->dir, ec);
  uint64_t kvs = 0;
  auto written = WriteSorted(std::move(full), prefix, kRunCompression, UINT64_MAX, &kvs);
  lock.lock();
  run->spilling = false;
  if (written.ok()) {
    run->files.insert(run->files.end(), written->begin(), written->end());
    run->kvs += kvs;
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
  Buffer rest = std::move(run->buffer);
  run->buffer = Buffer{};
  std::vector<std::string> files = run->files;
  uint64_t kvs = run->kvs;
  lock.unlock();
  run->cv.notify_all();

  std::error_code ec;
  fs::create_directories(run->dir, ec);
  std::vector<std::string> ingest = files;
  if (files.empty()) {
    // Everything fit the buffer: sorted once, straight into the files ingested.
    auto written = WriteSorted(std::move(rest), run->dir + "/merged", kIngestCompression,
                               kMergedFileBytes, &kvs);
    s = written.status();
    if (written.ok()) ingest = std::move(*written);
  } else if (!rest.versions.empty()) {
    auto written =
        WriteSorted(std::move(rest), run->dir + "/run-last", kRunCompression, UINT64_MAX, &kvs);
    s = written.status();
    if (written.ok()) files.insert(files.end(), written->begin(), written->end());
  }
  if (s.ok() && !files.empty()) {
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
