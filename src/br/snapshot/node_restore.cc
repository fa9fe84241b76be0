#include "br/snapshot/node_restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "br/sst.h"
#include "br/storage_target.h"
#include "common/crypto.h"
#include "common/durable_file.h"
#include "common/encoding.h"
#include "common/random.h"
#include "common/rate_limiter.h"
#include "common/sealed_box.h"
#include "net/grpc_status.h"
#include "storage/file_stream.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

// A ByteSink that hashes, counts and rate-limits what it writes to a local file. The hash runs
// on a helper thread (BackgroundSha256Hasher): a download that also decrypts, or waits on the
// network, does that work while the previous megabyte is hashed.
class HashingFileSink final : public storage::ByteSink {
 public:
  HashingFileSink(std::ofstream& out, RateLimiter& limiter) : out_(out), limiter_(limiter) {}
  Status Write(std::string_view data) override {
    limiter_.Acquire(data.size());
    hasher_.Update(data);
    size_ += data.size();
    out_.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out_) return Status::IOError("write staged download");
    return Status::OK();
  }
  std::string Digest() { return hasher_.Finish(); }
  uint64_t size() const { return size_; }

 private:
  std::ofstream& out_;
  RateLimiter& limiter_;
  BackgroundSha256Hasher hasher_;
  uint64_t size_ = 0;
};

// Stages a plain local storage's file (ExternalStorage::LocalFile) as `local`: read in pieces
// that stay in the CPU's cache (ScanFileBytes), each hashed and then written, so that what is
// ingested is exactly what was verified. The staged bytes go to the disk as they are written
// (StartWriteback), so the ingest's fsync, once every file of the job is staged, finds them
// there instead of writing the whole job then with the CPU idle. One read of the source and no
// re-read of the copy: faster here than a kernel copy hashed afterwards from a mapping.
Status StageLocalFile(const std::string& source, const std::string& local, RateLimiter& limiter,
                      uint64_t* size, std::string* digest) {
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return ErrnoStatus("open " + source, errno);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return ErrnoStatus("stat " + source, errno);
  *size = static_cast<uint64_t>(st.st_size);
  limiter.Acquire(*size);
  Fd out(::open(local.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) return ErrnoStatus("create " + local, errno);
  Sha256Hasher hasher;
  uint64_t written = 0, handed_to_disk = 0;
  BRIX_RETURN_IF_ERROR(ScanFileBytes(in.get(), 0, *size, source, [&](std::string_view piece) {
    hasher.Update(piece);
    BRIX_RETURN_IF_ERROR(WriteAll(out.get(), piece, local));
    written += piece.size();
    if (written - handed_to_disk >= kWritebackStepBytes) {
      StartWriteback(out.get(), handed_to_disk, written - handed_to_disk);
      handed_to_disk = written;
    }
    return Status::OK();
  }));
  StartWriteback(out.get(), handed_to_disk);
  *digest = hasher.Finish();
  return Status::OK();
}

// Rewrites the table prefix of an MVCC-encoded key (same length, so order is kept).
bool Rewrite(std::string* encoded, const RewriteRule& rule) {
  if (rule.old_prefix().empty()) return true;
  if (encoded->compare(0, rule.old_prefix().size(), rule.old_prefix()) != 0) return false;
  encoded->replace(0, rule.old_prefix().size(), rule.new_prefix());
  return true;
}

}  // namespace

NodeRestore::NodeRestore(cluster::NodeContext* node, std::string import_dir)
    : node_(node), import_dir_(std::move(import_dir)) {
  // Leftovers of a run that died with the node: never ingested.
  std::error_code ec;
  fs::remove_all(import_dir_, ec);
  fs::create_directories(import_dir_, ec);
}

std::string NodeRestore::StagedPath(const std::string& uuid) const {
  return import_dir_ + "/" + uuid + ".sst";
}

grpc::Status NodeRestore::Download(const DownloadRequest& req, DownloadResponse* resp) {
  // The uuid names the staged file in this node's import folder: never a path elsewhere.
  if (Status bad = CheckPathComponent("uuid", req.uuid()); !bad.ok()) return net::ToGrpc(bad);
  Status s = DoDownload(req, resp);
  if (!s.ok()) {
    resp->set_error(s.ToString());
    resp->set_corrupt(s.code() == Status::Code::kCorruption);
  }
  return grpc::Status::OK;
}

grpc::Status NodeRestore::Ingest(const IngestRequest& req, IngestResponse* resp) {
  for (const auto& uuid : req.uuids()) {
    if (Status bad = CheckPathComponent("uuids", uuid); !bad.ok()) return net::ToGrpc(bad);
  }
  std::vector<std::string> paths;
  for (const auto& uuid : req.uuids()) {
    std::string path = StagedPath(uuid);
    if (!fs::exists(path)) {
      resp->set_error("staged file " + uuid + " is gone (node restarted?); download again");
      return grpc::Status::OK;
    }
    paths.push_back(path);
  }
  Status s = node_->store()->Ingest(paths);
  if (!s.ok()) resp->set_error(s.ToString());
  return grpc::Status::OK;
}

Status NodeRestore::DoDownload(const DownloadRequest& req, DownloadResponse* resp) {
  BRIX_ASSIGN_OR_RETURN(auto storage, OpenStorageTarget(req.storage()));
  RateLimiter limiter(req.ratelimit_bytes_per_sec());
  std::string staged = StagedPath(req.uuid());
  std::unique_ptr<SstWriter> out;
  uint64_t kvs = 0;
  for (const auto& file : req.files()) {
    std::string local = import_dir_ + "/" + NewUuid() + ".download";
    std::string digest;
    if (std::optional<std::string> source = storage->LocalFile(file.name())) {
      uint64_t size = 0;
      Status staged_ok = StageLocalFile(*source, local, limiter, &size, &digest);
      if (!staged_ok.ok() || size != file.size()) {
        fs::remove(local);
        BRIX_RETURN_IF_ERROR(staged_ok.WithContext("download " + file.name()));
        return Status::Corruption("file " + file.name() + " has " + std::to_string(size) +
                                  " bytes, backupmeta says " + std::to_string(file.size()));
      }
    } else {
      std::ofstream sink_file(local, std::ios::binary | std::ios::trunc);
      HashingFileSink sink(sink_file, limiter);
      BRIX_RETURN_IF_ERROR(
          storage->GetStream(file.name(), sink).WithContext("download " + file.name()));
      sink_file.close();
      if (Fd written(::open(local.c_str(), O_RDONLY | O_CLOEXEC)); written.get() >= 0) {
        StartWriteback(written.get());
      }
      if (sink.size() != file.size()) {
        fs::remove(local);
        return Status::Corruption("file " + file.name() + " has " + std::to_string(sink.size()) +
                                  " bytes, backupmeta says " + std::to_string(file.size()));
      }
      digest = sink.Digest();
    }
    if (digest != file.sha256()) {
      fs::remove(local);
      return Status::Corruption("file " + file.name() +
                                ": SHA-256 does not match the backupmeta (corrupt or replaced)");
    }
    // Fast path: a single file that needs no change at all — same table id, wholly inside
    // the region and the ts window — is staged as it is: no decode, no re-encode.
    const bool same_keys = req.rewrite().old_prefix() == req.rewrite().new_prefix();
    const bool inside_range =
        file.start_key() >= req.start_key() &&
        (req.end_key().empty() || (!file.end_key().empty() && file.end_key() <= req.end_key()));
    // (start_version, end_version] bounds the file's versions.
    const bool inside_window = file.start_version() >= req.min_ts_exclusive() &&
                               (req.max_ts() == 0 || file.end_version() <= req.max_ts());
    if (req.files_size() == 1 && same_keys && inside_range && inside_window) {
      std::error_code ec;
      fs::rename(local, staged, ec);
      if (!ec) {
        resp->set_kvs(file.total_kvs());
        resp->set_empty(file.total_kvs() == 0);
        resp->set_staged_as_is(true);
        return Status::OK();
      }
    }
    Status failed;
    Status read = ReadSst(local, [&](const cluster::MvccEntry& e) {
      if (e.commit_ts <= req.min_ts_exclusive() || (req.max_ts() && e.commit_ts > req.max_ts()))
        return true;
      std::string key(e.encoded_key);
      if (!Rewrite(&key, req.rewrite())) {
        failed = Status::Corruption("file " + file.name() + " holds a key outside its table");
        return false;
      }
      std::string_view user(key.data(), key.size() - 8);
      if (user < req.start_key()) return true;
      if (!req.end_key().empty() && user >= req.end_key()) return false;
      if (!out) {
        auto w = SstWriter::Create(staged, "lz4");
        if (!w.ok()) {
          failed = w.status();
          return false;
        }
        out = std::move(*w);
      }
      failed = out->Add(key, e.stored_value);
      ++kvs;
      return failed.ok();
    });
    fs::remove(local);
    BRIX_RETURN_IF_ERROR(read);
    BRIX_RETURN_IF_ERROR(failed);
  }
  if (out) BRIX_RETURN_IF_ERROR(out->Finish().status());
  resp->set_kvs(kvs);
  resp->set_empty(kvs == 0);
  return Status::OK();
}

}  // namespace brix::br
