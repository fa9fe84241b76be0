// The log-backup storage layout (docs/format/log.md) and how its files are written and read.
//
//   v1/task                                    LogLocation: task, start ts
//   v1/truncated/<until, 20 digits>            one per `brix log truncate`: the bound is the max
//   v1/<YYYYMMDD>/<HH>/<store>/<flush>-<id>.log data: zstd(LogBatch)
//   v1/backupmeta/<flush>-<store>-<id>.meta    LogMeta naming data files (written after them)
//   v1/global_checkpoint/<store>.ts            the global checkpoint as that store last saw it
//
// Every object but the data files is sealed metadata (br/meta_seal.h): the readers below refuse
// a damaged one as Corruption naming it. Data files are checked against the SHA-256 in their meta.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "br/proto/log.pb.h"
#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::br {

inline constexpr char kLogLocationName[] = "v1/task";
inline constexpr char kLogMetaPrefix[] = "v1/backupmeta/";
inline constexpr char kGlobalCheckpointPrefix[] = "v1/global_checkpoint/";
inline constexpr char kTruncatedPrefix[] = "v1/truncated/";

// v1/<YYYYMMDD>/<HH>/<store>/<flush>-<id>.log: the UTC hour of the flush ts's physical time.
std::string LogDataName(uint64_t store_id, uint64_t flush_ts, const std::string& id);
// v1/backupmeta/<flush>-<store>-<id>.meta
std::string LogMetaName(uint64_t store_id, uint64_t flush_ts, const std::string& id);
// v1/truncated/<until as 20 zero-padded digits>: names sort like their bounds.
std::string TruncationBoundName(uint64_t until);
// The bound a v1/truncated/ name holds; nullopt unless it is the prefix then only digits that fit
// 64 bits.
std::optional<uint64_t> ParseTruncationBoundName(std::string_view name);

// zstd of the serialized batch, and back (Corruption if it does not decode).
[[nodiscard]] Result<std::string> EncodeLogBatch(const LogBatch& batch, size_t* raw_size);
[[nodiscard]] Result<LogBatch> DecodeLogBatch(std::string_view stored);
// The entries of a stored data file one at a time, in file order, without building the whole
// LogBatch (the decompressed bytes and one entry are held at once). `visit` may move out of the
// entry. Corruption as DecodeLogBatch.
[[nodiscard]] Status ForEachLogEntry(std::string_view stored,
                                     const std::function<void(LogEntry&)>& visit);

// One entry of a data file seen in place: views into the reader's decompressed buffer, valid only
// during the visit.
struct LogEntryView {
  std::string_view key;
  uint64_t ts = 0;
  bool is_delete = false;
  std::string_view value;
};

// The entries of a data file's decompressed bytes, parsed in place (what LogFileReader::Read
// does after decompressing); stops at the first error `visit` returns. Corruption if the bytes
// do not parse as a LogBatch.
[[nodiscard]] Status ForEachLogEntryView(std::string_view raw,
                                         const std::function<Status(const LogEntryView&)>& visit);

// A data file's decompressed bytes in a buffer of their own (LogFileReader::ReadRaw).
struct RawLogFile {
  std::unique_ptr<char[]> data;
  size_t size = 0;
  std::string_view bytes() const { return std::string_view(data.get(), size); }
};

// Reads data files for replay: through the ExternalStorage interface (GetStream) into a buffer
// kept from one file to the next (no fresh pages zeroed per file), hashing the stored bytes as
// they arrive, decompressing with one reused zstd context into a second kept buffer, and parsing
// the entries in place (no LogBatch, no copy of a key or value). Memory: the largest stored plus
// the largest raw file read so far. One file at a time: one reader per thread.
class LogFileReader {
 public:
  LogFileReader();
  ~LogFileReader();
  LogFileReader(const LogFileReader&) = delete;
  LogFileReader& operator=(const LogFileReader&) = delete;

  // Calls `visit` for every entry of `file` in file order, after its SHA-256 matched the meta's
  // (Corruption naming the file otherwise, or if it does not decompress or parse); stops at the
  // first error `visit` returns.
  [[nodiscard]] Status Read(storage::ExternalStorage& storage, const LogFile& file,
                            const std::function<Status(const LogEntryView&)>& visit);
  // `file`'s decompressed bytes, after the same checks as Read, in a buffer of their own (never
  // zeroed): for a caller that keeps the entries of several files at once as views (compaction's
  // sorted runs). The stored bytes go through the reader's kept buffer as in Read.
  [[nodiscard]] Result<RawLogFile> ReadRaw(storage::ExternalStorage& storage, const LogFile& file);
  // Bytes the reader's buffers hold (tests check it stops growing).
  size_t capacity() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Keys log backup records: table rows and catalog entries.
bool IsLoggedKey(std::string_view key);

// v1/task (NotFound if the location holds no log backup; Corruption if it is damaged) with
// truncated_until set to the highest truncation bound recorded (v1/truncated/*).
[[nodiscard]] Result<LogLocation> ReadLogLocation(storage::ExternalStorage& storage);
// Records a truncation bound. Bounds are separate objects, never a read-modify-write of v1/task,
// so two truncations racing cannot lower the bound: it is the max of what both wrote.
[[nodiscard]] Status RecordTruncationBound(storage::ExternalStorage& storage, uint64_t until);
// Every log meta (and, if `names`, its object name); Corruption naming the first damaged one.
[[nodiscard]] Result<std::vector<LogMeta>> ReadLogMetas(storage::ExternalStorage& storage,
                                                        std::vector<std::string>* names = nullptr);

// What a PITR from this location can reach: [min_ts, checkpoint].
struct LogRange {
  uint64_t min_ts = 0;      // max(start ts, truncation bound)
  uint64_t checkpoint = 0;  // the global checkpoint last written to the storage
  std::string task;
  std::vector<std::string> compactions;  // "name [from, until] N inputs -> M SSTs"
};
[[nodiscard]] Result<LogRange> ReadLogRange(storage::ExternalStorage& storage);

}  // namespace brix::br
