#include "br/log/log_buffer.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/random.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

std::string NewBufferPath(const std::string& dir) { return dir + "/" + NewUuid() + ".buf"; }

Status Corrupt(const std::string& where, const char* what) {
  return Status::Corruption("log backup buffer " + where + ": " + what);
}

// Parses records from a file a LogBuffer vouched for.
Status ForEachInFile(const std::string& path, const std::function<void(LogEntry&&)>& add) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::IOError("open " + path + ": " + std::strerror(errno));
  std::string data;
  Status s;
  for (;;) {
    uint32_t n = 0;
    size_t got = std::fread(&n, 1, sizeof(n), f);
    if (got == 0 && std::feof(f)) break;
    data.resize(n);
    if (got != sizeof(n) || (n && std::fread(data.data(), 1, n, f) != n)) {
      s = Corrupt(path, "short record");
      break;
    }
    LogEntry e;
    if (!e.ParseFromString(data)) {
      s = Corrupt(path, "record does not parse");
      break;
    }
    add(std::move(e));
  }
  if (s.ok() && std::ferror(f)) s = Status::IOError("read " + path + ": " + std::strerror(errno));
  std::fclose(f);
  return s;
}

Status ForEachInMemory(const std::string& data, const std::function<void(LogEntry&&)>& add) {
  size_t at = 0;
  while (at < data.size()) {
    uint32_t n = 0;
    if (data.size() - at < sizeof(n)) return Corrupt("memory", "short record");
    std::memcpy(&n, data.data() + at, sizeof(n));
    at += sizeof(n);
    if (data.size() - at < n) return Corrupt("memory", "short record");
    LogEntry e;
    if (!e.ParseFromArray(data.data() + at, static_cast<int>(n)))
      return Corrupt("memory", "record does not parse");
    at += n;
    add(std::move(e));
  }
  return Status::OK();
}

}  // namespace

Status BufferedWrites::ForEach(const std::function<void(LogEntry&&)>& add) const {
  for (const auto& path : files_) BRIX_RETURN_IF_ERROR(ForEachInFile(path, add));
  return ForEachInMemory(memory_, add);
}

Status BufferedWrites::Spill(const std::string& dir) {
  if (memory_.empty()) return Status::OK();
  std::string path = NewBufferPath(dir);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  bool ok = f && std::fwrite(memory_.data(), 1, memory_.size(), f) == memory_.size();
  int err = errno;
  if (f && std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::error_code ec;
    fs::remove(path, ec);
    return Status::IOError("log backup buffer " + path + ": spill failed: " + std::strerror(err));
  }
  files_.push_back(std::move(path));
  std::string().swap(memory_);
  return Status::OK();
}

void BufferedWrites::Remove() {
  for (const auto& path : files_) {
    std::error_code ec;
    fs::remove(path, ec);
  }
  files_.clear();
}

LogBuffer::LogBuffer(std::string dir, size_t memory_limit, std::string fault_file)
    : dir_(std::move(dir)), memory_limit_(memory_limit), fault_file_(std::move(fault_file)) {
  writer_ = std::thread([this] { Write(); });
}

LogBuffer::~LogBuffer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  idle_cv_.notify_all();
  writer_.join();
  if (file_) std::fclose(file_);
  if (!path_.empty()) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

bool LogBuffer::Faulty() const { return !fault_file_.empty() && fs::exists(fault_file_); }

Status LogBuffer::Failed(const std::string& path, const char* what, int err) const {
  return Status::IOError("log backup buffer " + (path.empty() ? dir_ : path) + ": " + what +
                         " failed: " + std::strerror(err));
}

void LogBuffer::Append(const LogEntry& e) {
  // Framed outside the lock: the critical section is one append to a string.
  const size_t size = e.ByteSizeLong();
  const uint32_t n = static_cast<uint32_t>(size);
  std::string record(sizeof(n) + size, '\0');
  std::memcpy(record.data(), &n, sizeof(n));
  e.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(record.data() + sizeof(n)));
  const bool faulty = Faulty();  // test hook only: a stat when configured
  std::unique_lock<std::mutex> lock(mu_);
  if (!error_.ok()) return;  // broken already: the re-scan covers this write
  if (faulty) {
    error_ = Failed(path_, "write", ENOSPC);
    std::string().swap(memory_);
    return;
  }
  // Back-pressure: the writer is a full memory limit behind.
  idle_cv_.wait(lock, [&] {
    return memory_.size() + spilling_ < 2 * memory_limit_ || !error_.ok() || stop_;
  });
  if (!error_.ok()) return;
  memory_ += record;
  if (memory_.size() > memory_limit_) work_cv_.notify_one();
}

void LogBuffer::Write() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || memory_.size() > memory_limit_; });
    if (stop_) return;
    std::string chunk;
    chunk.swap(memory_);
    spilling_ = chunk.size();
    std::FILE* f = file_;
    std::string path = path_;
    lock.unlock();
    // Rotate() waits while spilling_ is set, so file_ and path_ are ours until we clear it.
    Status s;
    if (!f) {
      path = NewBufferPath(dir_);
      f = Faulty() ? nullptr : std::fopen(path.c_str(), "wb");
      if (!f) s = Failed(path, "open", Faulty() ? ENOSPC : errno);
    }
    if (s.ok() && (Faulty() || std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size()))
      s = Failed(path, "write", Faulty() ? ENOSPC : errno);
    lock.lock();
    file_ = f;
    path_ = path;
    if (!s.ok() && error_.ok()) {
      spdlog::error("{}", s.ToString());
      error_ = s;
      std::string().swap(memory_);
    }
    spilling_ = 0;
    idle_cv_.notify_all();
  }
}

Result<BufferedWrites> LogBuffer::Rotate() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return spilling_ == 0; });
  std::FILE* f = file_;
  std::string path = path_;
  std::string memory;
  memory.swap(memory_);
  Status s = error_;
  file_ = nullptr;
  path_.clear();
  error_ = Status::OK();
  lock.unlock();
  idle_cv_.notify_all();  // room for appends again
  if (f && std::fclose(f) != 0 && s.ok()) s = Failed(path, "close", errno);
  if (s.ok() && Faulty()) s = Failed(path, "close", ENOSPC);
  if (!s.ok()) {
    std::error_code ec;
    if (!path.empty()) fs::remove(path, ec);
    return s;
  }
  std::vector<std::string> files;
  if (!path.empty()) files.push_back(std::move(path));
  return BufferedWrites(std::move(files), std::move(memory));
}

size_t LogBuffer::memory_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return memory_.size();
}

}  // namespace brix::br
