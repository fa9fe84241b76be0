#include "storage/azure/azure_storage.h"

#include <array>
#include <deque>
#include <future>
#include <thread>

#include "common/crc64.h"
#include "common/encoding.h"
#include "common/mapped_file.h"
#include "common/metrics.h"
#include "common/parallel.h"
#include "common/random.h"
#include "common/time_util.h"
#include "storage/azure/blob_xml.h"
#include "storage/azure/credential.h"
#include "storage/azure/entra_credential.h"
#include "storage/azure/sas.h"

namespace brix::storage {
namespace {

// brix_storage_requests_total{operation, result} (docs/metrics.md): one count per HTTP attempt
// of this driver's retry loop (Execute), the one place that sees the service's answers. Results:
// ok (answered: 2xx, or 404/409/412, the expected answers of probes and conditional writes),
// throttled (429 or 503: the service asks us to slow down; retried), retried (another failure
// that is tried again), error (a failure that ends the request).
enum RequestResult { kOk, kThrottled, kRetried, kError, kResults };
constexpr const char* kResultNames[kResults] = {"ok", "throttled", "retried", "error"};
constexpr const char* kOperations[] = {
    "get",  "head", "put", "put_block", "put_block_list", "delete", "list", "create_container",
    "other"};

std::string_view OperationOf(const azure::BlobRequest& r) {
  auto has = [&](std::string_view k, std::string_view v) {
    for (const auto& [qk, qv] : r.query) {
      if (qk == k && qv == v) return true;
    }
    return false;
  };
  if (r.method == "GET") return has("comp", "list") ? "list" : "get";
  if (r.method == "HEAD") return "head";
  if (r.method == "DELETE") return "delete";
  if (r.method == "PUT") {
    if (has("comp", "block")) return "put_block";
    if (has("comp", "blocklist")) return "put_block_list";
    if (has("restype", "container")) return "create_container";
    return "put";
  }
  return "other";
}

void CountRequest(std::string_view operation, RequestResult result) {
  constexpr size_t kOps = std::size(kOperations);
  // Every series looked up once: the retry loop only indexes.
  static const auto* counters = [] {
    auto& family = metrics::Default().Counter(
        "brix_storage_requests_total",
        "Requests to external storage (Azure Blob) by operation and result, one per attempt.",
        {"operation", "result"});
    auto* table = new std::array<metrics::Counter*, kOps * kResults>();
    for (size_t o = 0; o < kOps; ++o) {
      for (size_t r = 0; r < kResults; ++r) {
        (*table)[o * kResults + r] = &family.WithLabels({kOperations[o], kResultNames[r]});
      }
    }
    return table;
  }();
  size_t o = 0;
  while (o + 1 < kOps && operation != kOperations[o]) ++o;
  (*counters)[o * kResults + result]->Inc();
}

using azure::BlobRequest;
using Ms = std::chrono::milliseconds;

constexpr const char* kUploadIdMeta = "x-ms-meta-brixuploadid";

// Per-try deadline of a request moving `bytes` (the uploaded body or the requested range): a
// floor plus the bytes at a minimum throughput, so big ranges are not cut off and a dead
// connection still ends. A read of unknown size has no total deadline; the transport's stall
// limit (CurlOptions::low_speed_*) ends it if the data stops.
constexpr Ms kTryDeadlineFloor{60'000};
constexpr uint64_t kMinBytesPerSec = 1 << 20;

Ms TryDeadline(std::optional<uint64_t> bytes) {
  if (!bytes) return net::kNoTotalDeadline;
  return kTryDeadlineFloor +
         Ms(*bytes / kMinBytesPerSec * 1000 + *bytes % kMinBytesPerSec * 1000 / kMinBytesPerSec);
}

// x-ms-content-crc64: the CRC-64/NVME of the body, little-endian, base64.
std::string Crc64Header(uint64_t crc) { return Base64Encode(LittleEndian64(crc)); }

// The server's wait hint, if any: retry-after-ms, x-ms-retry-after-ms, then Retry-After seconds.
std::optional<Ms> RetryHint(const net::HttpResponse& r) {
  for (const char* h : {"retry-after-ms", "x-ms-retry-after-ms"}) {
    if (std::string v = r.Header(h); !v.empty()) return Ms(std::atol(v.c_str()));
  }
  if (std::string v = r.Header("retry-after"); !v.empty() && std::isdigit(v[0])) {
    return Ms(std::atol(v.c_str()) * 1000);
  }
  return std::nullopt;
}

bool IsRetryableHttp(const net::HttpResponse& r) {
  switch (r.status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      break;
  }
  std::string code = r.Header("x-ms-error-code");
  if (r.status == 400 && (code == "Crc64Mismatch" || code == "Md5Mismatch")) return true;
  return r.status == 409 && code == "ContainerBeingDeleted";
}

Status StatusFromResponse(const net::HttpResponse& r, const std::string& what) {
  std::string code = r.Header("x-ms-error-code");
  std::string msg = what + ": HTTP " + std::to_string(r.status);
  if (!code.empty()) msg += " " + code;
  if (std::string m = azure::ParseErrorMessage(r.body); !m.empty()) msg += ": " + m;
  if (std::string id = r.Header("x-ms-request-id"); !id.empty()) msg += " (request id " + id + ")";
  if (IsRetryableHttp(r)) return Status::Unavailable(msg);
  switch (r.status) {
    case 400:
      return Status::InvalidArgument(msg);
    case 401:
    case 403:
      return Status::PermissionDenied(msg);
    case 404:
      return Status::NotFound(msg);
    case 409:
      return code == "BlobAlreadyExists" ? Status::AlreadyExists(msg)
                                         : Status::FailedPrecondition(msg);
    case 412:
      return Status::FailedPrecondition(msg);
    case 416:
      return Status::InvalidArgument(msg);
    default:
      return Status::Internal(msg);
  }
}

// Splits "scheme://host[:port][/path]" into origin and path.
void SplitEndpoint(const std::string& endpoint, std::string* origin, std::string* path) {
  size_t scheme = endpoint.find("://");
  size_t slash = endpoint.find('/', scheme + 3);
  *origin = endpoint.substr(0, slash);
  *path = slash == std::string::npos ? "" : endpoint.substr(slash);
}

// A request body: bytes in memory, or a stream of known size that is rewound before each try.
struct Body {
  Body() = default;
  Body(std::string_view b) : bytes(b) {}    // NOLINT(google-explicit-constructor)
  Body(const std::string& b) : bytes(b) {}  // NOLINT(google-explicit-constructor)
  Body(ByteSource* s, uint64_t n) : stream(s), stream_size(n) {}
  uint64_t size() const { return stream != nullptr ? stream_size : bytes.size(); }

  std::string_view bytes;
  ByteSource* stream = nullptr;
  uint64_t stream_size = 0;
};

class AzureBlobStorage final : public ExternalStorage {
 public:
  AzureBlobStorage(AzureConfig cfg, std::shared_ptr<net::HttpTransport> transport,
                   std::unique_ptr<azure::Credential> credential, BackoffOptions backoff)
      : cfg_(std::move(cfg)),
        transport_(std::move(transport)),
        credential_(std::move(credential)),
        backoff_(backoff) {
    SplitEndpoint(cfg_.endpoint, &origin_, &base_path_);
  }

  std::string Describe() const override {
    return "azure://" + cfg_.container + (cfg_.prefix.empty() ? "" : "/" + cfg_.prefix) +
           " (account " + cfg_.account + ", " + std::string(credential_->Kind()) + ")";
  }

  Status Put(std::string_view name, std::string_view data, const PutOptions& options) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    const std::string upload_id = NewUuid();
    if (data.size() <= cfg_.transfer.single_put_max) {
      return PutBlob(name, data, options.if_absent, upload_id);
    }
    BlockUpload upload(this, name);
    for (uint64_t off = 0; off < data.size(); off += cfg_.transfer.block_size) {
      upload.Add(data.substr(off, cfg_.transfer.block_size), nullptr);
    }
    return upload.Commit(options.if_absent, upload_id);
  }

  Status PutStream(std::string_view name, ByteSource& source) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    // A local file: its bytes are mapped from the page cache and handed to curl as they are, the
    // CRC computed over the mapping. Reading it into buffers instead cost a kernel copy of every
    // byte (half the client's CPU), and a second one for the CRC pass of a single Put Blob.
    if (std::optional<uint64_t> size = source.Size();
        size && *size > 0 && source.NativeFile() >= 0) {
      if (Result<MappedFile> mapped = MappedFile::Map(source.NativeFile(), *size); mapped.ok()) {
        return PutMapped(name, mapped->bytes());
      }
      // Not mappable (an unusual file system): read it as a stream below.
    }
    // A sized source that can be read twice (a file) up to single_put_max: one Put Blob streamed
    // from it, after a first pass for the CRC the header needs. Nothing is held in memory.
    if (std::optional<uint64_t> size = source.Size();
        size && *size <= cfg_.transfer.single_put_max && source.Rewind().ok()) {
      BRIX_ASSIGN_OR_RETURN(uint64_t crc, StreamCrc64(source, *size));
      return PutBlob(name, Body(&source, *size), crc, /*if_absent=*/false, NewUuid());
    }
    const uint64_t block = cfg_.transfer.block_size;
    // Block buffers are reused: a fresh 8 MiB buffer per block costs its zero-fill and page
    // faults, about as much CPU as the upload itself.
    auto pool = std::make_shared<BufferPool>();
    // Read the first block; if the source ends inside it, one Put Blob is enough.
    auto first = pool->Take(block);
    BRIX_ASSIGN_OR_RETURN(bool more, ReadChunk(source, block, first.get()));
    if (!more) return PutBlob(name, *first, /*if_absent=*/false, NewUuid());
    BlockUpload upload(this, name);
    upload.Add(*first, first);
    while (more && !upload.Failed()) {
      auto chunk = pool->Take(block);
      BRIX_ASSIGN_OR_RETURN(more, ReadChunk(source, block, chunk.get()));
      if (!chunk->empty()) upload.Add(*chunk, chunk);
    }
    return upload.Commit(/*if_absent=*/false, NewUuid());
  }

  Result<std::string> Get(std::string_view name, std::optional<ByteRange> range) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    if (range && range->length == 0) {
      BRIX_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
      if (range->offset > info.size) return Status::InvalidArgument("range past the end");
      return std::string();
    }
    BlobRequest req = NewRequest("GET", BlobPath(name));
    if (range) req.headers.emplace_back("x-ms-range", RangeHeader(*range));
    Result<net::HttpResponse> resp =
        Execute(req, {}, "read " + Where(name), nullptr, range ? range->length : std::nullopt);
    if (!resp.ok()) {
      // A zero-byte blob answers any range with 416; reading [0, ...) of it is simply empty.
      if (range && range->offset == 0 && resp.status().IsInvalidArgument()) {
        Result<ObjectInfo> info = Stat(name);
        if (info.ok() && info->size == 0) return std::string();
      }
      return resp.status();
    }
    // Azurite answers a range starting exactly at the end with an empty 206 ("bytes N-(N-1)/N");
    // Azure answers 416. Make both the same InvalidArgument.
    if (range && range->offset > 0) {
      std::string cr = resp->Header("content-range");
      size_t slash = cr.rfind('/');
      if (slash != std::string::npos &&
          range->offset >= std::strtoull(cr.c_str() + slash + 1, nullptr, 10)) {
        return Status::InvalidArgument("read " + Where(name) + ": range offset " +
                                       std::to_string(range->offset) + " is past the end");
      }
    }
    return std::move(resp->body);
  }

  Status GetStream(std::string_view name, ByteSink& sink) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    BlobRequest head = NewRequest("HEAD", BlobPath(name));
    BRIX_ASSIGN_OR_RETURN(net::HttpResponse props, Execute(head, {}, "stat " + Where(name)));
    const uint64_t size = std::strtoull(props.Header("content-length").c_str(), nullptr, 10);
    const std::string etag = props.Header("etag");
    const uint64_t chunk = cfg_.transfer.block_size;
    std::deque<std::future<Result<std::string>>> inflight;
    uint64_t next = 0;
    while (next < size || !inflight.empty()) {
      while (next < size && inflight.size() < static_cast<size_t>(cfg_.transfer.concurrency)) {
        ByteRange r{next, std::min(chunk, size - next)};
        inflight.push_back(std::async(
            std::launch::async, [this, name = std::string(name), r, etag]() -> Result<std::string> {
              BlobRequest req = NewRequest("GET", BlobPath(name));
              req.headers.emplace_back("x-ms-range", RangeHeader(r));
              if (!etag.empty()) req.headers.emplace_back("If-Match", etag);
              BRIX_ASSIGN_OR_RETURN(net::HttpResponse resp,
                                    Execute(req, {}, "read " + Where(name), nullptr, r.length));
              if (resp.body.size() != *r.length) {
                return Status::Unavailable("read " + Where(name) + ": short range response");
              }
              return std::move(resp.body);
            }));
        next += *r.length;
      }
      Result<std::string> data = inflight.front().get();
      inflight.pop_front();
      if (!data.ok()) {
        for (auto& f : inflight) f.wait();
        return data.status().code() == Status::Code::kFailedPrecondition
                   ? data.status().WithContext("the object changed while it was being read")
                   : data.status();
      }
      Status s = sink.Write(*data);
      if (!s.ok()) {
        for (auto& f : inflight) f.wait();
        return s;
      }
    }
    return Status::OK();
  }

  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_results) override {
    BlobRequest req = NewRequest("GET", ContainerPath());
    const std::string full_prefix = FullName(prefix);
    req.query = {{"restype", "container"},
                 {"comp", "list"},
                 {"prefix", full_prefix},
                 {"maxresults", std::to_string(std::clamp(max_results, 1, 5000))}};
    if (!page_token.empty()) req.query.emplace_back("marker", std::string(page_token));
    Result<net::HttpResponse> resp = Execute(req, {}, "list " + Where(prefix));
    if (!resp.ok()) {
      if (resp.status().IsNotFound()) return ListPage{};  // no container yet: nothing stored
      return resp.status();
    }
    BRIX_ASSIGN_OR_RETURN(azure::ListBlobsResult parsed, azure::ParseListBlobs(resp->body));
    ListPage page;
    const size_t strip = cfg_.prefix.empty() ? 0 : cfg_.prefix.size() + 1;
    for (auto& b : parsed.blobs) {
      if (b.name.size() <= strip) continue;
      page.objects.push_back({b.name.substr(strip), b.size});
    }
    page.next_token = std::move(parsed.next_marker);
    return page;
  }

  Status Delete(std::string_view name) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    Result<net::HttpResponse> resp =
        Execute(NewRequest("DELETE", BlobPath(name)), {}, "delete " + Where(name));
    if (!resp.ok() && !resp.status().IsNotFound()) return resp.status();
    return Status::OK();
  }

  Result<ObjectInfo> Stat(std::string_view name) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    BRIX_ASSIGN_OR_RETURN(net::HttpResponse resp,
                          Execute(NewRequest("HEAD", BlobPath(name)), {}, "stat " + Where(name)));
    return ObjectInfo{std::string(name),
                      std::strtoull(resp.Header("content-length").c_str(), nullptr, 10)};
  }

 private:
  // Uploads blocks in parallel and commits them with one Put Block List.
  class BlockUpload {
   public:
    BlockUpload(AzureBlobStorage* owner, std::string_view name)
        : owner_(owner),
          name_(name),
          id_prefix_(RandomBytes16()),
          group_(owner->cfg_.transfer.concurrency) {}

    // Queues `data` as the next block; `keep` owns the bytes when the caller does not.
    void Add(std::string_view data, std::shared_ptr<std::string> keep) {
      // Fixed-width ids: 16 random bytes per upload + 8-byte big-endian index, base64 (32 chars).
      std::string raw = id_prefix_;
      uint64_t index = ids_.size();
      for (int i = 7; i >= 0; --i) raw.push_back(static_cast<char>((index >> (8 * i)) & 0xff));
      std::string id = Base64Encode(raw);
      ids_.push_back(id);
      group_.Submit([this, data, keep, id]() -> Status {
        BlobRequest req = owner_->NewRequest("PUT", owner_->BlobPath(name_));
        req.query = {{"comp", "block"}, {"blockid", id}};
        req.headers.emplace_back("x-ms-content-crc64", Crc64Header(Crc64Nvme(data)));
        return owner_->WithContainer([&] {
          return owner_->Execute(req, data, "upload block of " + owner_->Where(name_)).status();
        });
      });
    }
    bool Failed() { return group_.Failed(); }

    Status Commit(bool if_absent, const std::string& upload_id) {
      BRIX_RETURN_IF_ERROR(group_.Wait());
      std::string xml = azure::BlockListXml(ids_);
      BlobRequest req = owner_->NewRequest("PUT", owner_->BlobPath(name_));
      req.query = {{"comp", "blocklist"}};
      req.headers.emplace_back("Content-Type", "application/xml");
      owner_->AddWriteHeaders(req, if_absent, upload_id);
      return owner_->ExecuteCreate(req, xml, name_, if_absent, upload_id);
    }

   private:
    AzureBlobStorage* owner_;
    std::string name_;
    std::string id_prefix_;
    std::vector<std::string> ids_;
    TaskGroup group_;
  };

  // Uploads bytes that stay valid until it returns (a mapped file), like Put without if_absent.
  Status PutMapped(std::string_view name, std::string_view data) {
    const std::string upload_id = NewUuid();
    if (data.size() <= cfg_.transfer.single_put_max) {
      return PutBlob(name, data, /*if_absent=*/false, upload_id);
    }
    BlockUpload upload(this, name);
    for (uint64_t off = 0; off < data.size() && !upload.Failed(); off += cfg_.transfer.block_size) {
      upload.Add(data.substr(off, cfg_.transfer.block_size), nullptr);
    }
    return upload.Commit(/*if_absent=*/false, upload_id);
  }

  Status PutBlob(std::string_view name, std::string_view data, bool if_absent,
                 const std::string& upload_id) {
    return PutBlob(name, Body(data), Crc64Nvme(data), if_absent, upload_id);
  }
  // `crc`: the CRC-64/NVME of the whole body.
  Status PutBlob(std::string_view name, const Body& body, uint64_t crc, bool if_absent,
                 const std::string& upload_id) {
    BlobRequest req = NewRequest("PUT", BlobPath(name));
    req.headers.emplace_back("x-ms-blob-type", "BlockBlob");
    req.headers.emplace_back("x-ms-content-crc64", Crc64Header(crc));
    AddWriteHeaders(req, if_absent, upload_id);
    return ExecuteCreate(req, body, std::string(name), if_absent, upload_id);
  }

  void AddWriteHeaders(BlobRequest& req, bool if_absent, const std::string& upload_id) {
    if (!cfg_.access_tier.empty()) req.headers.emplace_back("x-ms-access-tier", cfg_.access_tier);
    if (if_absent) {
      req.headers.emplace_back("If-None-Match", "*");
      req.headers.emplace_back(kUploadIdMeta, upload_id);
    }
  }

  // Runs a committing write. For a create-only write, an AlreadyExists that follows an ambiguous
  // failed try may be our own earlier try having landed: the upload id in the metadata tells.
  Status ExecuteCreate(const BlobRequest& req, const Body& body, const std::string& name,
                       bool if_absent, const std::string& upload_id) {
    bool ambiguous = false;
    Status s = WithContainer(
        [&] { return Execute(req, body, "write " + Where(name), &ambiguous).status(); });
    if (if_absent && s.IsAlreadyExists()) {
      if (ambiguous) {
        Result<net::HttpResponse> props =
            Execute(NewRequest("HEAD", BlobPath(name)), {}, "stat " + Where(name));
        if (props.ok() && props->Header(kUploadIdMeta) == upload_id) return Status::OK();
      }
      return Status::AlreadyExists("object '" + name + "' already exists in " + Describe());
    }
    return s;
  }

  // Runs a write; if the container does not exist yet, creates it and runs the write again.
  Status WithContainer(const std::function<Status()>& write) {
    Status s = write();
    if (s.IsNotFound() && s.message().find("ContainerNotFound") != std::string::npos) {
      BlobRequest req = NewRequest("PUT", ContainerPath());
      req.query = {{"restype", "container"}};
      Result<net::HttpResponse> created = Execute(req, {}, "create container " + cfg_.container);
      if (!created.ok() && created.status().code() != Status::Code::kFailedPrecondition) {
        return created.status();  // 409 ContainerAlreadyExists (a racing writer) is fine
      }
      s = write();
    }
    return s;
  }

  BlobRequest NewRequest(std::string method, std::string path) const {
    BlobRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    return r;
  }

  // Sends `tmpl` with retries. `ambiguous` (optional) is set when a failed try may have been
  // applied by the service anyway (transport error or 5xx after the request went out).
  // `read_bytes`: what a GET may return (its range's length; nullopt = unknown), for its deadline.
  Result<net::HttpResponse> Execute(const BlobRequest& tmpl, const Body& body,
                                    const std::string& what, bool* ambiguous = nullptr,
                                    std::optional<uint64_t> read_bytes = 0) {
    bool refreshed_token = false;
    for (int attempt = 1;; ++attempt) {
      BlobRequest req = tmpl;
      req.content_length = body.size();
      if (body.stream != nullptr) BRIX_RETURN_IF_ERROR(body.stream->Rewind().WithContext(what));
      req.headers.emplace_back("x-ms-date", FormatRfc1123(std::chrono::system_clock::now()));
      req.headers.emplace_back("x-ms-version", kAzureApiVersion);
      req.headers.emplace_back("x-ms-client-request-id", NewUuid());
      BRIX_RETURN_IF_ERROR(credential_->Authorize(req).WithContext(what));
      net::HttpRequest http;
      http.method = req.method;
      http.url = req.BuildUrl(origin_);
      http.headers = std::move(req.headers);
      http.body = body.bytes;
      if (body.stream != nullptr) {
        http.body_reader = [&body](char* buf, size_t n) { return body.stream->Read(buf, n); };
        http.body_size = body.stream_size;
      }
      http.timeout = TryDeadline(req.method == "GET" ? read_bytes : body.size());

      Result<net::HttpResponse> resp = transport_->Send(http);
      Status failure;
      std::optional<Ms> hint;
      const std::string_view operation = OperationOf(tmpl);
      if (!resp.ok()) {
        failure = resp.status().WithContext(what);
        if (ambiguous) *ambiguous = true;
      } else if (resp->status < 300) {
        // A body cut short (connection closed mid-transfer) must never pass for the object.
        std::string length = resp->Header("content-length");
        if (req.method == "GET" && !length.empty() &&
            std::strtoull(length.c_str(), nullptr, 10) != resp->body.size()) {
          failure = Status::Unavailable(what + ": response body shorter than Content-Length");
          const bool retry = backoff_.ShouldRetry(attempt);
          CountRequest(operation, retry ? kRetried : kError);
          if (!retry) return failure;
          std::this_thread::sleep_for(backoff_.DelayAfter(attempt));
          continue;
        }
        CountRequest(operation, kOk);
        return resp;
      } else {
        failure = StatusFromResponse(*resp, what);
        hint = RetryHint(*resp);
        if (ambiguous && resp->status >= 500) *ambiguous = true;
        bool token_refused =
            resp->status == 401 ||
            (resp->status == 403 && resp->Header("x-ms-error-code") == "AuthenticationFailed");
        if (token_refused && IsEntraAuth(cfg_.auth) && !refreshed_token) {
          // The token expired or was revoked (Azure answers 401, Azurite 403): fetch a new one.
          credential_->Invalidate();
          refreshed_token = true;
          CountRequest(operation, kRetried);
          continue;
        }
      }
      const bool retry = failure.IsRetryable() && backoff_.ShouldRetry(attempt);
      const int http_status = resp.ok() ? resp->status : 0;
      if (http_status == 429 || http_status == 503) {
        CountRequest(operation, kThrottled);
      } else if (http_status == 404 || http_status == 409 || http_status == 412) {
        CountRequest(operation, kOk);
      } else {
        CountRequest(operation, retry ? kRetried : kError);
      }
      if (!retry) return failure;
      std::this_thread::sleep_for(backoff_.DelayAfter(attempt, hint));
    }
  }

  static Result<bool> ReadChunk(ByteSource& source, uint64_t size, std::string* out) {
    out->resize(size);  // a pooled buffer already has this size: no zero-fill
    size_t filled = 0;
    while (filled < size) {
      BRIX_ASSIGN_OR_RETURN(size_t n, source.Read(out->data() + filled, size - filled));
      if (n == 0) {
        out->resize(filled);  // the last chunk only
        return false;         // the source is exhausted
      }
      filled += n;
    }
    return true;  // full chunk; there may be more
  }

  // The CRC-64 of a source's first `size` bytes, read in small pieces; then rewinds it. A source
  // whose length differs from `size` changed under us: refused.
  static Result<uint64_t> StreamCrc64(ByteSource& source, uint64_t size) {
    std::string buf(1 << 20, '\0');
    uint64_t crc = 0, seen = 0;
    while (true) {
      BRIX_ASSIGN_OR_RETURN(size_t n, source.Read(buf.data(), buf.size()));
      if (n == 0) break;
      crc = Crc64Nvme(std::string_view(buf.data(), n), crc);
      seen += n;
    }
    if (seen != size) {
      return Status::FailedPrecondition(
          "the source changed while uploading: " + std::to_string(seen) + " bytes, expected " +
          std::to_string(size));
    }
    BRIX_RETURN_IF_ERROR(source.Rewind());
    return crc;
  }

  // Block buffers of one PutStream: a buffer goes back to the pool when its block is sent.
  class BufferPool : public std::enable_shared_from_this<BufferPool> {
   public:
    std::shared_ptr<std::string> Take(uint64_t size) {
      std::string* buf = nullptr;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!free_.empty()) {
          buf = free_.back().release();
          free_.pop_back();
        }
      }
      if (buf == nullptr) buf = new std::string();
      buf->resize(size);
      return std::shared_ptr<std::string>(buf, [pool = shared_from_this()](std::string* b) {
        std::lock_guard<std::mutex> lock(pool->mu_);
        pool->free_.emplace_back(b);
      });
    }

   private:
    std::mutex mu_;
    std::vector<std::unique_ptr<std::string>> free_;
  };

  static std::string RangeHeader(const ByteRange& r) {
    std::string h = "bytes=" + std::to_string(r.offset) + "-";
    if (r.length) h += std::to_string(r.offset + std::max<uint64_t>(*r.length, 1) - 1);
    return h;
  }

  std::string FullName(std::string_view name) const {
    return cfg_.prefix.empty() ? std::string(name) : cfg_.prefix + "/" + std::string(name);
  }
  std::string ContainerPath() const { return base_path_ + "/" + cfg_.container; }
  std::string BlobPath(std::string_view name) const {
    return ContainerPath() + "/" + PercentEncode(FullName(name), /*keep_slash=*/true);
  }
  std::string Where(std::string_view name) const {
    return "azure://" + cfg_.container + "/" + FullName(name);
  }

  const AzureConfig cfg_;
  std::shared_ptr<net::HttpTransport> transport_;
  std::unique_ptr<azure::Credential> credential_;
  Backoff backoff_;
  std::string origin_;
  std::string base_path_;
};

}  // namespace

Result<std::unique_ptr<ExternalStorage>> OpenAzureStorage(
    const AzureConfig& config, std::shared_ptr<net::HttpTransport> transport,
    BackoffOptions backoff) {
  if (!transport) {
    net::CurlOptions opts;
    opts.ca_file = config.ca_file;
    transport = std::make_shared<net::CurlTransport>(opts);
  }
  std::unique_ptr<azure::Credential> credential;
  switch (config.auth) {
    case AzureAuthKind::kSas: {
      if (auto se = azure::SasExpiry(config.sas_token);
          se && *se <= std::chrono::system_clock::now()) {
        return Status::InvalidArgument("azure storage: the SAS token expired at " +
                                       FormatIso8601(*se));
      }
      credential = azure::MakeSasCredential(config.sas_token);
      break;
    }
    case AzureAuthKind::kEntra:
    case AzureAuthKind::kWorkloadIdentity:
    case AzureAuthKind::kManagedIdentity: {
      azure::EntraOptions eo;
      eo.flow = config.auth == AzureAuthKind::kEntra ? azure::EntraFlow::kClientSecret
                : config.auth == AzureAuthKind::kWorkloadIdentity
                    ? azure::EntraFlow::kWorkloadIdentity
                    : azure::EntraFlow::kManagedIdentity;
      eo.authority_host = config.authority_host;
      eo.tenant_id = config.tenant_id;
      eo.client_id = config.client_id;
      eo.client_secret = config.client_secret;
      eo.federated_token_file = config.federated_token_file;
      if (!config.imds_authority.empty()) eo.imds_authority = config.imds_authority;
      eo.backoff = backoff;
      std::shared_ptr<net::HttpTransport> token_transport = transport;
      if (eo.flow == azure::EntraFlow::kManagedIdentity) {
        // IMDS is link-local and answers at once, or is not there: probe it briefly.
        net::CurlOptions imds;
        imds.connect_timeout = std::chrono::seconds(1);
        imds.ca_file = config.ca_file;
        token_transport = std::make_shared<net::CurlTransport>(imds);
      }
      credential = std::make_unique<azure::EntraCredential>(eo, token_transport);
      break;
    }
    case AzureAuthKind::kSharedKey:
      credential = azure::MakeSharedKeyCredential(config.account, config.account_key);
      break;
  }
  return std::unique_ptr<ExternalStorage>(
      std::make_unique<AzureBlobStorage>(config, transport, std::move(credential), backoff));
}

}  // namespace brix::storage
