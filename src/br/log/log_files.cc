#include "br/log/log_files.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <zstd.h>

#include <charconv>
#include <climits>
#include <cstdio>
#include <ctime>

#include "br/meta_seal.h"
#include "cluster/mvcc.h"
#include "common/crypto.h"
#include "common/parallel.h"
#include "common/tso.h"

namespace brix::br {

namespace {

std::string DateHour(uint64_t ts) {
  std::time_t secs = static_cast<std::time_t>(TsPhysicalMs(ts) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d/%H", &tm);
  return buf;
}

}  // namespace

std::string LogDataName(uint64_t store_id, uint64_t flush_ts, const std::string& id) {
  return "v1/" + DateHour(flush_ts) + "/" + std::to_string(store_id) + "/" +
         std::to_string(flush_ts) + "-" + id + ".log";
}

std::string LogMetaName(uint64_t store_id, uint64_t flush_ts, const std::string& id) {
  return std::string(kLogMetaPrefix) + std::to_string(flush_ts) + "-" + std::to_string(store_id) +
         "-" + id + ".meta";
}

std::string TruncationBoundName(uint64_t until) {
  char name[64];
  std::snprintf(name, sizeof(name), "%s%020llu", kTruncatedPrefix,
                static_cast<unsigned long long>(until));
  return name;
}

std::optional<uint64_t> ParseTruncationBoundName(std::string_view name) {
  if (!name.starts_with(kTruncatedPrefix)) return std::nullopt;
  std::string_view digits = name.substr(std::string_view(kTruncatedPrefix).size());
  uint64_t until = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), until);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return until;
}

Result<std::string> EncodeLogBatch(const LogBatch& batch, size_t* raw_size) {
  std::string raw = batch.SerializeAsString();
  *raw_size = raw.size();
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  if (ZSTD_isError(n)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

namespace {

Result<std::string> Decompress(std::string_view stored) {
  unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 32)) {
    return Status::Corruption("log file is not a zstd frame of known size");
  }
  std::string raw(size, '\0');
  size_t n = ZSTD_decompress(raw.data(), raw.size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != size) return Status::Corruption("log file does not decompress");
  return raw;
}

}  // namespace

Result<LogBatch> DecodeLogBatch(std::string_view stored) {
  BRIX_ASSIGN_OR_RETURN(std::string raw, Decompress(stored));
  LogBatch batch;
  if (!batch.ParseFromString(raw)) return Status::Corruption("log file does not parse");
  return batch;
}

Status ForEachLogEntry(std::string_view stored, const std::function<void(LogEntry&)>& visit) {
  BRIX_ASSIGN_OR_RETURN(std::string raw, Decompress(stored));
  // LogBatch is `repeated LogEntry entries = 1`: a sequence of (tag 1, length-delimited) fields.
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(raw.data()),
                                            static_cast<int>(raw.size()));
  in.SetTotalBytesLimit(INT_MAX);
  LogEntry entry;
  while (uint32_t tag = in.ReadTag()) {
    if (tag != ((1u << 3) | 2u)) {  // an unknown field: skip it, as ParseFromString would
      if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
        return Status::Corruption("log file does not parse");
      }
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return Status::Corruption("log file does not parse");
    auto limit = in.PushLimit(static_cast<int>(length));
    entry.Clear();
    if (!entry.MergeFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
      return Status::Corruption("log file does not parse");
    }
    in.PopLimit(limit);
    visit(entry);
  }
  if (!in.ConsumedEntireMessage() || in.CurrentPosition() != static_cast<int>(raw.size())) {
    return Status::Corruption("log file does not parse");
  }
  return Status::OK();
}

namespace {

using google::protobuf::io::CodedInputStream;

// A byte buffer that keeps its pages from one use to the next and never zeroes them.
class ReusedBuffer {
 public:
  char* Reserve(size_t n) {
    if (n > capacity_) {
      data_ = std::make_unique_for_overwrite<char[]>(n);
      capacity_ = n;
    }
    return data_.get();
  }
  char* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
};

// Appends the streamed object to the buffer (growing it if the object is larger than the meta
// said) and hashes it on the way.
class HashingSink final : public storage::ByteSink {
 public:
  HashingSink(ReusedBuffer& buffer, Sha256Hasher& hasher) : buffer_(buffer), hasher_(hasher) {}
  Status Write(std::string_view data) override {
    if (size_ + data.size() > buffer_.capacity()) {
      ReusedBuffer grown;
      char* to = grown.Reserve(std::max(2 * buffer_.capacity(), size_ + data.size()));
      std::copy_n(buffer_.data(), size_, to);
      buffer_ = std::move(grown);
    }
    std::copy_n(data.data(), data.size(), buffer_.data() + size_);
    size_ += data.size();
    hasher_.Update(data);
    return Status::OK();
  }
  size_t size() const { return size_; }

 private:
  ReusedBuffer& buffer_;
  Sha256Hasher& hasher_;
  size_t size_ = 0;
};

bool ReadBytesView(CodedInputStream& in, std::string_view whole, std::string_view* out) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return false;
  size_t at = static_cast<size_t>(in.CurrentPosition());
  if (length > whole.size() - at) return false;
  *out = whole.substr(at, length);
  return in.Skip(static_cast<int>(length));
}

// LogEntry's fields (br/proto/log.proto) read in place; unknown fields skipped as protobuf would.
bool ParseEntry(std::string_view bytes, LogEntryView* e) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  *e = LogEntryView{};
  uint64_t v = 0;
  while (uint32_t tag = in.ReadTag()) {
    bool ok = true;
    switch (tag) {
      case (1u << 3) | 2u:
        ok = ReadBytesView(in, bytes, &e->key);
        break;
      case (2u << 3) | 0u:
        ok = in.ReadVarint64(&e->ts);
        break;
      case (3u << 3) | 0u:
        ok = in.ReadVarint64(&v);
        e->is_delete = v != 0;
        break;
      case (4u << 3) | 2u:
        ok = ReadBytesView(in, bytes, &e->value);
        break;
      default:
        ok = google::protobuf::internal::WireFormatLite::SkipField(&in, tag);
    }
    if (!ok) return false;
  }
  return static_cast<size_t>(in.CurrentPosition()) == bytes.size();
}

}  // namespace

// LogBatch is `repeated LogEntry entries = 1`: (tag 1, length-delimited) fields, each parsed in
// place.
Status ForEachLogEntryView(std::string_view raw,
                           const std::function<Status(const LogEntryView&)>& visit) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(raw.data()), static_cast<int>(raw.size()));
  in.SetTotalBytesLimit(INT_MAX);
  LogEntryView entry;
  while (uint32_t tag = in.ReadTag()) {
    if (tag != ((1u << 3) | 2u)) {
      if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
        return Status::Corruption("log file does not parse");
      }
      continue;
    }
    std::string_view bytes;
    if (!ReadBytesView(in, raw, &bytes) || !ParseEntry(bytes, &entry)) {
      return Status::Corruption("log file does not parse");
    }
    BRIX_RETURN_IF_ERROR(visit(entry));
  }
  if (static_cast<size_t>(in.CurrentPosition()) != raw.size()) {
    return Status::Corruption("log file does not parse");
  }
  return Status::OK();
}

struct LogFileReader::Impl {
  ReusedBuffer stored;
  ReusedBuffer raw;
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ~Impl() { ZSTD_freeDCtx(dctx); }

  // Streams `file` into `stored`, checks its SHA-256 against the meta's and reads the raw size
  // its zstd frame names.
  Result<std::pair<std::string_view, size_t>> Fetch(storage::ExternalStorage& storage,
                                                    const LogFile& file) {
    stored.Reserve(file.size());
    Sha256Hasher hasher;
    HashingSink sink(stored, hasher);
    BRIX_RETURN_IF_ERROR(storage.GetStream(file.name(), sink));
    if (hasher.Finish() != file.sha256()) {
      return Status::Corruption("log file " + file.name() + ": SHA-256 does not match its meta");
    }
    std::string_view bytes(stored.data(), sink.size());
    unsigned long long size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > INT_MAX) {
      return Status::Corruption("log file " + file.name() + " is not a zstd frame of known size");
    }
    return std::make_pair(bytes, static_cast<size_t>(size));
  }

  Status Decompress(const LogFile& file, std::string_view from, char* to, size_t size) {
    size_t n = ZSTD_decompressDCtx(dctx, to, size, from.data(), from.size());
    if (ZSTD_isError(n) || n != size) {
      return Status::Corruption("log file " + file.name() + " does not decompress");
    }
    return Status::OK();
  }
};

LogFileReader::LogFileReader() : impl_(std::make_unique<Impl>()) {}
LogFileReader::~LogFileReader() = default;

size_t LogFileReader::capacity() const { return impl_->stored.capacity() + impl_->raw.capacity(); }

Status LogFileReader::Read(storage::ExternalStorage& storage, const LogFile& file,
                           const std::function<Status(const LogEntryView&)>& visit) {
  BRIX_ASSIGN_OR_RETURN(auto fetched, impl_->Fetch(storage, file));
  auto [stored, size] = fetched;
  char* raw = impl_->raw.Reserve(size);
  BRIX_RETURN_IF_ERROR(impl_->Decompress(file, stored, raw, size));
  Status s = ForEachLogEntryView(std::string_view(raw, size), visit);
  if (s.code() == Status::Code::kCorruption) return s.WithContext(file.name());
  return s;
}

Result<RawLogFile> LogFileReader::ReadRaw(storage::ExternalStorage& storage, const LogFile& file) {
  BRIX_ASSIGN_OR_RETURN(auto fetched, impl_->Fetch(storage, file));
  RawLogFile raw;
  raw.size = fetched.second;
  raw.data = std::make_unique_for_overwrite<char[]>(raw.size);
  BRIX_RETURN_IF_ERROR(impl_->Decompress(file, fetched.first, raw.data.get(), raw.size));
  return raw;
}

bool IsLoggedKey(std::string_view key) {
  return (!key.empty() && key[0] == cluster::kTablePrefix) ||
         key.starts_with(cluster::kCatalogPrefix);
}

Result<LogLocation> ReadLogLocation(storage::ExternalStorage& storage) {
  LogLocation loc;
  Status s = GetMeta(storage, kMetaLogLocation, kLogLocationName, &loc);
  if (s.IsNotFound()) {
    return Status::NotFound("no log backup at " + storage.Describe() + " (v1/task is missing)");
  }
  BRIX_RETURN_IF_ERROR(s);
  BRIX_ASSIGN_OR_RETURN(auto bounds, storage.ListAll(kTruncatedPrefix));
  for (const auto& o : bounds) {
    std::optional<uint64_t> bound = ParseTruncationBoundName(o.name);
    if (!bound) {
      return Status::Corruption(o.name + ": not a truncation bound (v1/truncated/<digits>)");
    }
    uint64_t until = *bound;
    // The bound is in the name and, sealed, in the content: both must agree.
    BRIX_ASSIGN_OR_RETURN(std::string data, storage.Get(o.name));
    BRIX_ASSIGN_OR_RETURN(
        std::string sealed,
        UnsealMeta(kMetaTruncationBound, o.name + " at " + storage.Describe(), data));
    if (sealed != std::to_string(until)) {
      return Status::Corruption("truncation bound " + o.name + " at " + storage.Describe() +
                                " holds " + sealed + ", not the bound its name says");
    }
    loc.set_truncated_until(std::max(loc.truncated_until(), until));
  }
  return loc;
}

Status RecordTruncationBound(storage::ExternalStorage& storage, uint64_t until) {
  return storage.Put(TruncationBoundName(until),
                     SealMeta(kMetaTruncationBound, std::to_string(until)));
}

Result<std::vector<LogMeta>> ReadLogMetas(storage::ExternalStorage& storage,
                                          std::vector<std::string>* names) {
  BRIX_ASSIGN_OR_RETURN(auto objects, storage.ListAll(kLogMetaPrefix));
  std::vector<LogMeta> metas(objects.size());
  TaskGroup group(16);
  for (size_t i = 0; i < objects.size(); ++i) {
    group.Submit([&, i]() -> Status {
      auto data = storage.Get(objects[i].name);
      if (!data.ok()) {
        // Truncate may remove a meta between our list and get: it is gone on purpose.
        if (data.status().IsNotFound()) return Status::OK();
        return data.status();
      }
      return UnsealMessage(kMetaLogMeta, objects[i].name + " at " + storage.Describe(), *data,
                           &metas[i]);
    });
  }
  BRIX_RETURN_IF_ERROR(group.Wait());
  std::vector<LogMeta> out;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (metas[i].flush_ts() == 0) continue;  // vanished
    out.push_back(std::move(metas[i]));
    if (names) names->push_back(objects[i].name);
  }
  return out;
}

Result<LogRange> ReadLogRange(storage::ExternalStorage& storage) {
  BRIX_ASSIGN_OR_RETURN(LogLocation loc, ReadLogLocation(storage));
  LogRange range;
  range.task = loc.task();
  range.min_ts = std::max(loc.start_ts(), loc.truncated_until());
  range.checkpoint = loc.start_ts();
  BRIX_ASSIGN_OR_RETURN(auto ckpts, storage.ListAll(kGlobalCheckpointPrefix));
  for (const auto& o : ckpts) {
    // An unreadable checkpoint only lowers the range (conservative); a damaged one is refused.
    auto data = storage.Get(o.name);
    if (!data.ok()) continue;
    const std::string name = o.name + " at " + storage.Describe();
    BRIX_ASSIGN_OR_RETURN(std::string text, UnsealMeta(kMetaGlobalCheckpoint, name, *data));
    uint64_t ts = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ts);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Status::Corruption(std::string(kMetaGlobalCheckpoint) + " " + name + ": '" + text +
                                "' is not a ts although its checksum matches");
    }
    range.checkpoint = std::max(range.checkpoint, ts);
  }
  return range;
}

}  // namespace brix::br
