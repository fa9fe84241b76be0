#include "br/log/compaction_runs.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <queue>

#include "cluster/mvcc.h"
#include "common/stdio_file.h"

namespace brix::br {
namespace {

constexpr size_t kWriteBuffer = 1 << 20;
constexpr size_t kReadBuffer = 64 << 10;

Status FileError(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// Reads one run from a position on.
class RunCursor {
 public:
  RunCursor(size_t index, std::string path) : index_(index), path_(std::move(path)) {}

  // Positions at the first record whose user key is >= start.
  Status Open(const SortedRun& run, std::string_view start) {
    file_.reset(std::fopen(path_.c_str(), "rb"));
    if (!file_) return FileError("open sorted run", path_);
    buffer_.resize(kReadBuffer);
    std::setvbuf(file_.get(), buffer_.data(), _IOFBF, buffer_.size());
    // The last sample at or below start: every record of a user key >= start lies after it.
    auto after = std::upper_bound(
        run.samples.begin(), run.samples.end(), start,
        [](std::string_view key, const RunSample& s) { return key < s.sample.key; });
    uint64_t offset = after == run.samples.begin() ? 0 : std::prev(after)->offset;
    if (fseeko(file_.get(), static_cast<off_t>(offset), SEEK_SET) != 0) {
      return FileError("seek sorted run", path_);
    }
    do {
      BRIX_RETURN_IF_ERROR(Next());
    } while (valid_ && user_key_ < start);
    return Status::OK();
  }

  Status Next() {
    uint32_t lengths[2];
    size_t got = std::fread(lengths, 1, sizeof(lengths), file_.get());
    if (got == 0 && std::feof(file_.get())) {
      valid_ = false;
      return Status::OK();
    }
    if (got != sizeof(lengths)) return Truncated();
    key_.resize(lengths[0]);
    value_.resize(lengths[1]);
    if (std::fread(key_.data(), 1, key_.size(), file_.get()) != key_.size() ||
        std::fread(value_.data(), 1, value_.size(), file_.get()) != value_.size() ||
        !cluster::DecodeMvccKey(key_, &user_key_, &ts_)) {
      return Truncated();
    }
    valid_ = true;
    return Status::OK();
  }

  bool valid() const { return valid_; }
  size_t index() const { return index_; }
  std::string_view user_key() const { return user_key_; }
  uint64_t ts() const { return ts_; }
  MergedVersion version() const { return {key_, value_, user_key_, ts_}; }

 private:
  Status Truncated() const {
    return std::ferror(file_.get()) ? FileError("read sorted run", path_)
                                    : Status::Corruption("sorted run " + path_ + " is truncated");
  }

  size_t index_;
  std::string path_;
  StdioFile file_;
  std::vector<char> buffer_;
  std::string key_, value_;
  std::string_view user_key_;
  uint64_t ts_ = 0;
  bool valid_ = false;
};

// MVCC order, then run order (so equal versions come out in a fixed order).
bool After(const RunCursor* a, const RunCursor* b) {
  if (a->user_key() != b->user_key()) return a->user_key() > b->user_key();
  if (a->ts() != b->ts()) return a->ts() < b->ts();
  return a->index() > b->index();
}

}  // namespace

Result<SortedRun> WriteSortedRun(std::vector<CompactVersion>* versions, const std::string& path,
                                 uint64_t sample_bytes) {
  SortVersions(versions);
  SortedRun run;
  run.path = path;
  StdioFile file(std::fopen(path.c_str(), "wb"));
  if (!file) return FileError("create sorted run", path);
  std::vector<char> buffer(kWriteBuffer);
  std::setvbuf(file.get(), buffer.data(), _IOFBF, buffer.size());
  uint64_t offset = 0, since_sample = 0;
  std::optional<int64_t> table;
  const CompactVersion* prev = nullptr;
  std::string key, value;  // reused: no allocation per record
  for (const auto& v : *versions) {
    auto t = cluster::TableIdOf(v.key);
    bool new_key = !prev || prev->key != v.key;
    if (new_key && (run.samples.empty() || since_sample >= sample_bytes || t != table)) {
      run.samples.push_back({{std::string(v.key), 0}, offset});
      since_sample = 0;
      table = t;
    }
    key.clear();
    cluster::AppendMvccKey(&key, v.key, v.ts);
    value.clear();
    cluster::AppendMvccValue(&value, v.is_delete ? cluster::MvccOp::kDelete : cluster::MvccOp::kPut,
                             v.value);
    uint32_t lengths[2] = {static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())};
    if (std::fwrite(lengths, 1, sizeof(lengths), file.get()) != sizeof(lengths) ||
        std::fwrite(key.data(), 1, key.size(), file.get()) != key.size() ||
        std::fwrite(value.data(), 1, value.size(), file.get()) != value.size()) {
      return FileError("write sorted run", path);
    }
    uint64_t n = sizeof(lengths) + key.size() + value.size();
    offset += n;
    since_sample += n;
    run.samples.back().sample.bytes += n;
    ++run.records;
    prev = &v;
  }
  if (std::fclose(file.release()) != 0) return FileError("write sorted run", path);
  std::vector<CompactVersion>().swap(*versions);
  return run;
}

Status MergeRuns(const std::vector<SortedRun>& runs, const CompactRange& range,
                 const std::function<Status(const MergedVersion&)>& emit, uint64_t* duplicates) {
  std::vector<std::unique_ptr<RunCursor>> cursors;
  std::priority_queue<RunCursor*, std::vector<RunCursor*>, decltype(&After)> heap(&After);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].records == 0) continue;
    auto c = std::make_unique<RunCursor>(i, runs[i].path);
    BRIX_RETURN_IF_ERROR(c->Open(runs[i], range.start));
    if (!c->valid() || !InRange(range, c->user_key())) continue;
    heap.push(c.get());
    cursors.push_back(std::move(c));
  }
  std::string last;
  bool any = false;
  while (!heap.empty()) {
    RunCursor* c = heap.top();
    heap.pop();
    MergedVersion v = c->version();
    if (any && v.encoded_key == last) {
      ++*duplicates;  // the same (key, ts) again: a re-scanned file
    } else {
      BRIX_RETURN_IF_ERROR(emit(v));
      last.assign(v.encoded_key);
      any = true;
    }
    BRIX_RETURN_IF_ERROR(c->Next());
    if (c->valid() && InRange(range, c->user_key())) heap.push(c);
  }
  return Status::OK();
}

}  // namespace brix::br
