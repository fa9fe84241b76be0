// The log-backup storage layout (DESIGN §5) and how its files are written and read.
//
//   v1/task                                    LogLocation: task, start ts, truncation bound
//   v1/<YYYYMMDD>/<HH>/<store>/<flush>-<id>.log data: zstd(LogBatch)
//   v1/backupmeta/<flush>-<store>-<id>.meta    LogMeta naming data files (written after them)
//   v1/global_checkpoint/<store>.ts            the global checkpoint as that store last saw it
//
// Every object but the data files is sealed metadata (br/meta_seal.h): the readers below refuse
// a damaged one as Corruption naming it. Data files are checked against the SHA-256 in their meta.
#pragma once

#include <string>
#include <vector>

#include "br/proto/log.pb.h"
#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::br {

inline constexpr char kLogLocationName[] = "v1/task";
inline constexpr char kLogMetaPrefix[] = "v1/backupmeta/";
inline constexpr char kGlobalCheckpointPrefix[] = "v1/global_checkpoint/";

std::string LogDataName(uint64_t store_id, uint64_t flush_ts, const std::string& id);
std::string LogMetaName(uint64_t store_id, uint64_t flush_ts, const std::string& id);

// zstd of the serialized batch, and back (Corruption if it does not decode).
[[nodiscard]] Result<std::string> EncodeLogBatch(const LogBatch& batch, size_t* raw_size);
[[nodiscard]] Result<LogBatch> DecodeLogBatch(std::string_view stored);

// Keys log backup records: table rows and catalog entries.
bool IsLoggedKey(std::string_view key);

// NotFound if the location holds no log backup; Corruption if v1/task is damaged.
[[nodiscard]] Result<LogLocation> ReadLogLocation(storage::ExternalStorage& storage);
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
