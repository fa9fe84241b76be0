#include "br/snapshot/node_service.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>

#include "br/proto/backup.grpc.pb.h"
#include "br/snapshot/node_restore.h"
#include "br/sst.h"
#include "br/storage_target.h"
#include "common/backoff.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/parallel.h"
#include "common/random.h"
#include "common/rate_limiter.h"
#include "common/sealed_box.h"
#include "common/time_util.h"
#include "net/grpc_status.h"
#include "storage/file_stream.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

// Uploads a finished local file and returns its SHA-256. The file is never held whole in
// memory (a node's resident set stays small however large its SSTs): it is hashed in pieces
// through one small buffer (storage::Sha256OfFile), through the node's rate limiter (so a
// node's uploads keep to --ratelimit on average; a file goes up in one burst once its bytes were
// paced); then PutStream sends it from the file (local storage: the object becomes the file
// itself, a hard link, where they share a filesystem, else copy_file_range; Azure: one Put Blob up
// to single_put_max from the driver's own mapping). A failed upload is retried whole. The file is
// handed over: the caller removes it afterwards and never writes it again.
Result<std::string> UploadFile(storage::ExternalStorage& storage, const std::string& name,
                               const std::string& path, RateLimiter& limiter) {
  BRIX_ASSIGN_OR_RETURN(auto source, storage::FileSource::OpenHandedOver(path));
  if (!source->Size() || source->NativeFile() < 0) {
    return Status::Internal("upload " + name + ": " + path + " is not a regular file");
  }
  BRIX_ASSIGN_OR_RETURN(std::string sha256,
                        storage::Sha256OfFile(*source, [&](size_t n) { limiter.Acquire(n); }));
  BackoffOptions retries{.max_attempts = 6,
                         .base_delay = std::chrono::milliseconds(200),
                         .max_delay = std::chrono::milliseconds(5000)};
  Status s = RetryWithBackoff(
      retries,
      [&](int) -> Status {
        BRIX_RETURN_IF_ERROR(source->Rewind());
        return storage.PutStream(name, *source);
      },
      RetryAnyError,
      [&](int attempt, const Status& e) {
        spdlog::warn("backup: upload of {} failed (try {}): {}", name, attempt, e.ToString());
      });
  BRIX_RETURN_IF_ERROR(s.WithContext("upload " + name));
  return sha256;
}

class NodeBackupService final : public NodeBackup::Service {
 public:
  explicit NodeBackupService(cluster::NodeContext* node)
      : node_(node),
        tmp_dir_(node->work_dir() + "/backup"),
        restore_(node, node->work_dir() + "/import") {
    // Leftovers of a run that died with the node: never uploaded.
    std::error_code ec;
    fs::remove_all(tmp_dir_, ec);
    fs::create_directories(tmp_dir_, ec);
  }

  grpc::Status Backup(grpc::ServerContext* ctx, const BackupRequest* req,
                      grpc::ServerWriter<BackupResponse>* writer) override {
    if (req->end_version() == 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "end_version is required");
    }
    Status s = CheckCompression(req->compression(), "compression");
    if (!s.ok()) return net::ToGrpc(s);
    auto storage = OpenStorageTarget(req->storage());
    if (!storage.ok()) return net::ToGrpc(storage.status());
    s = node_->WaitResolved(req->end_version(), std::chrono::seconds(30));
    if (!s.ok()) return net::ToGrpc(s.WithContext("backup ts not resolved yet"));

    RateLimiter limiter(req->ratelimit_bytes_per_sec());
    std::mutex write_mu;
    TaskGroup group(std::max<int>(1, static_cast<int>(req->concurrency())));
    for (const auto& range : req->ranges()) {
      if (ctx->IsCancelled()) break;
      group.Submit([&, range]() -> Status {
        BackupResponse resp;
        *resp.mutable_range() = range;
        if (ctx->IsCancelled()) return Status::OK();
        Status st = BackupRange(*req, range, **storage, limiter, &resp);
        if (!st.ok()) {
          if (st.code() == Status::Code::kAborted) {
            resp.set_region_error(st.message());
          } else {
            resp.set_error(st.ToString());
          }
          resp.clear_files();
        }
        std::lock_guard<std::mutex> lock(write_mu);
        writer->Write(resp);
        return Status::OK();
      });
    }
    s = group.Wait();
    if (!s.ok()) return net::ToGrpc(s);
    return grpc::Status::OK;
  }

  grpc::Status Download(grpc::ServerContext*, const DownloadRequest* req,
                        DownloadResponse* resp) override {
    return restore_.Download(*req, resp);
  }

  grpc::Status Ingest(grpc::ServerContext*, const IngestRequest* req,
                      IngestResponse* resp) override {
    return restore_.Ingest(*req, resp);
  }

 private:
  // Backs up one sub-range: an Aborted status is a routing error.
  Status BackupRange(const BackupRequest& req, const BackupRange& range,
                     storage::ExternalStorage& storage, RateLimiter& limiter,
                     BackupResponse* resp) {
    BRIX_ASSIGN_OR_RETURN(cluster::Region region,
                          node_->OwnedRegion(range.region_id(), range.epoch()));
    std::string start = std::max(range.start_key(), region.start_key());
    std::string end = range.end_key();
    if (!region.end_key().empty() && (end.empty() || end > region.end_key()))
      end = region.end_key();

    const bool snapshot = req.start_version() == 0;
    const uint64_t max_bytes = req.sst_max_bytes() ? req.sst_max_bytes() : (96ull << 20);
    std::unique_ptr<SstWriter> writer;
    std::string path;
    BackupFile file;
    cluster::KvChecksum sum;
    std::string last_user_key;
    Status failed;
    int seq = 0;

    // Uploads run behind the scan: up to two files go up while the next one is written, so the
    // disk, the network and the per-file pauses (hashing, fsync, commit) overlap. At most three
    // files per range are on local disk at a time.
    constexpr size_t kUploadsInFlight = 2;
    std::deque<std::future<Status>> uploads;
    auto wait_uploads = [&](size_t keep) -> Status {
      Status first;
      while (uploads.size() > keep) {
        Status s = uploads.front().get();
        uploads.pop_front();
        if (first.ok()) first = s;
      }
      return first;
    };
    auto finish = [&]() -> Status {
      if (!writer) return Status::OK();
      BRIX_ASSIGN_OR_RETURN(uint64_t size, writer->Finish());
      writer.reset();
      std::string name = req.file_prefix() + std::to_string(node_->store_id()) + "/" +
                         std::to_string(region.id()) + "_" + std::to_string(region.epoch()) + "_" +
                         HexEncode(Sha256(file.start_key())).substr(0, 16) + "_" +
                         std::to_string(UnixMillis()) + "_" + std::to_string(seq++) + ".sst";
      std::string end_key = last_user_key;
      end_key.push_back('\0');  // exclusive bound just above the last key
      file.set_name(name);
      file.set_end_key(end_key);
      file.set_start_version(req.start_version());
      file.set_end_version(req.end_version());
      file.set_crc64xor(sum.crc64xor);
      file.set_total_kvs(sum.kvs);
      file.set_total_bytes(sum.bytes);
      file.set_size(size);
      file.set_table_id(range.table_id());
      file.set_compression(req.compression());
      BackupFile* out = resp->add_files();
      *out = file;
      file.Clear();
      sum = {};
      BRIX_RETURN_IF_ERROR(wait_uploads(kUploadsInFlight - 1));
      uploads.push_back(
          std::async(std::launch::async, [&storage, &limiter, out, local = path]() -> Status {
            Result<std::string> digest = UploadFile(storage, out->name(), local, limiter);
            std::error_code ec;
            fs::remove(local, ec);
            if (!digest.ok()) return digest.status();
            out->set_sha256(*digest);
            return Status::OK();
          }));
      return Status::OK();
    };

    Status visit = node_->store()->Visit(
        start, end, req.start_version(), req.end_version(),
        snapshot ? cluster::VisitMode::kNewestLive : cluster::VisitMode::kAllVersions,
        [&](const cluster::MvccEntry& e) {
          // Cut only between user keys: all versions of a key stay in one file.
          if (writer && sum.bytes >= max_bytes && e.user_key != last_user_key) {
            failed = finish();
            if (!failed.ok()) return false;
          }
          if (!writer) {
            path = tmp_dir_ + "/" + NewUuid() + ".sst";
            auto w = SstWriter::Create(path, req.compression());
            if (!w.ok()) {
              failed = w.status();
              return false;
            }
            writer = std::move(*w);
            file.set_start_key(std::string(e.user_key));
          }
          failed = writer->Add(e.encoded_key, e.stored_value);
          if (!failed.ok()) return false;
          AddEntryChecksum(e, snapshot, &sum);
          if (e.user_key != last_user_key) last_user_key.assign(e.user_key);
          return true;
        });
    if (failed.ok()) failed = visit;
    if (failed.ok()) failed = finish();
    Status uploaded = wait_uploads(0);
    if (failed.ok()) failed = uploaded;
    if (!failed.ok()) {
      writer.reset();
      std::error_code ec;
      fs::remove(path, ec);
      return failed;
    }
    // The region may have split while we scanned; the result is only good if it did not.
    BRIX_RETURN_IF_ERROR(node_->OwnedRegion(range.region_id(), range.epoch()).status());
    return Status::OK();
  }

  cluster::NodeContext* node_;
  std::string tmp_dir_;
  NodeRestore restore_;  // Download and Ingest (node_restore.h)
};

}  // namespace

std::unique_ptr<grpc::Service> NewNodeBackupService(cluster::NodeContext* node) {
  return std::make_unique<NodeBackupService>(node);
}

}  // namespace brix::br
