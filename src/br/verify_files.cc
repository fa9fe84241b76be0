#include "br/verify_files.h"

#include <cstdio>
#include <filesystem>

#include "br/log/log_files.h"
#include "br/sst.h"
#include "common/crypto.h"
#include "common/random.h"

namespace brix::br {
namespace {

// Hashes and counts what passes through, and hands it on: to a local file, or to a string.
class HashingSink : public storage::ByteSink {
 public:
  explicit HashingSink(std::FILE* file) : file_(file) {}
  explicit HashingSink(std::string* out) : out_(out) {}
  Status Write(std::string_view data) override {
    hasher_.Update(data);
    bytes_ += data.size();
    if (out_) {
      out_->append(data);
    } else if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
      return Status::IOError("cannot write the scratch copy");
    }
    return Status::OK();
  }
  uint64_t bytes() const { return bytes_; }
  std::string Finish() { return hasher_.Finish(); }

 private:
  std::FILE* file_ = nullptr;
  std::string* out_ = nullptr;
  Sha256Hasher hasher_;
  uint64_t bytes_ = 0;
};

// Size and digest against the metadata's; "" when both match.
std::string SizeAndDigest(uint64_t got_size, const std::string& got_sha, uint64_t size,
                          const std::string& sha) {
  if (got_size != size) {
    return "size " + std::to_string(got_size) + ", its metadata says " + std::to_string(size) +
           (got_size < size ? " (truncated)" : "");
  }
  if (got_sha != sha) return "SHA-256 does not match its metadata";
  return "";
}

std::string Unreadable(const Status& s) {
  return s.IsNotFound() ? "missing (" + s.message() + ")" : "cannot read: " + s.ToString();
}

}  // namespace

Result<FileCheck> CheckSstObject(storage::ExternalStorage& storage, const BackupFile& file,
                                 bool snapshot, const std::string& scratch_dir,
                                 const EntryCheck& check) {
  FileCheck out;
  const std::string path = scratch_dir + "/" + NewUuid() + ".sst";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::IOError("cannot create scratch file " + path);
  HashingSink sink(f);
  Status read = storage.GetStream(file.name(), sink);
  const bool closed = std::fclose(f) == 0;
  out.bytes = sink.bytes();
  auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  };
  if (!read.ok()) {
    cleanup();
    out.problem = Unreadable(read);
    return out;
  }
  if (!closed) {
    cleanup();
    return Status::IOError("cannot write scratch file " + path);
  }
  out.problem = SizeAndDigest(out.bytes, sink.Finish(), file.size(), file.sha256());
  if (!out.ok()) {
    cleanup();
    return out;
  }
  Status decoded = ReadSst(path, [&](const cluster::MvccEntry& e) {
    ++out.entries;
    AddEntryChecksum(e, snapshot, &out.sum);
    if (check && out.problem.empty()) out.problem = check(e);
    return true;
  });
  cleanup();
  if (!decoded.ok()) {
    out.problem = "does not decode: " + decoded.ToString();
    return out;
  }
  if (!out.problem.empty()) return out;
  cluster::KvChecksum want{file.total_kvs(), file.total_bytes(), file.crc64xor()};
  if (!(out.sum == want)) {
    out.problem =
        "content checksum " + out.sum.ToString() + ", its metadata says " + want.ToString();
  }
  return out;
}

FileCheck CheckLogDataObject(storage::ExternalStorage& storage, const LogFile& file) {
  FileCheck out;
  std::string stored;
  stored.reserve(file.size());
  HashingSink sink(&stored);
  Status read = storage.GetStream(file.name(), sink);
  out.bytes = sink.bytes();
  if (!read.ok()) {
    out.problem = Unreadable(read);
    return out;
  }
  out.problem = SizeAndDigest(out.bytes, sink.Finish(), file.size(), file.sha256());
  if (!out.ok()) return out;
  Status decoded = ForEachLogEntry(stored, [&](LogEntry& e) {
    ++out.entries;
    if (out.problem.empty() && (e.ts() < file.min_ts() || e.ts() > file.max_ts())) {
      out.problem = "an entry at ts " + std::to_string(e.ts()) + " outside [" +
                    std::to_string(file.min_ts()) + ", " + std::to_string(file.max_ts()) +
                    "] its meta claims";
    }
  });
  if (!decoded.ok()) {
    out.problem = "does not decode: " + decoded.ToString();
  } else if (out.problem.empty() && out.entries != file.kvs()) {
    out.problem =
        std::to_string(out.entries) + " entries, its meta says " + std::to_string(file.kvs());
  }
  return out;
}

}  // namespace brix::br
