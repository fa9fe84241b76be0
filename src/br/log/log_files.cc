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
