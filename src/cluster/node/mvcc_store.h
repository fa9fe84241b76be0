// MvccStore: a kvnode's data on RocksDB in the encoding of cluster/mvcc.h.
//
// Writes are atomic batches with one commit ts, synced to the WAL before they return, so an
// acknowledged write survives kill -9. A write may carry a client's write id (cluster/write_id.h):
// its record id → commit ts lives in a column family of its own ("write_ids", invisible to reads,
// scans, backups and GC of versions) and is written in the same batch, so it exists after a crash
// exactly when the data does. Reads at a ts see the newest version ≤ ts of each key;
// a delete hides older versions. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/mvcc.h"
#include "common/result.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace brix::cluster {

struct MvccMutation {
  std::string key;
  MvccOp op = MvccOp::kPut;
  std::string value;
};

struct MvccVersion {
  std::string key;
  uint64_t commit_ts = 0;
  MvccOp op = MvccOp::kPut;
  std::string value;
};

// One stored entry as a visitor sees it: views into the iterator, valid during the call only.
struct MvccEntry {
  std::string_view user_key;
  uint64_t commit_ts = 0;
  MvccOp op = MvccOp::kPut;
  std::string_view value;
  std::string_view encoded_key;   // as stored (cluster/mvcc.h encoding)
  std::string_view stored_value;  // op byte ‖ value
};

enum class VisitMode {
  kNewestLive,   // per key, its newest version ≤ to_ts, if that is a put (a snapshot at to_ts)
  kAllVersions,  // every version, deletes included, with from_ts < commit_ts ≤ to_ts
};

class MvccStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<MvccStore>> Open(const std::string& path);
  ~MvccStore();

  // With a non-empty `write_id`, records write_id → commit_ts in the same batch, and drops the
  // records of ids that sort below `drop_ids_below` (if not empty).
  [[nodiscard]] Status Write(const std::vector<MvccMutation>& mutations, uint64_t commit_ts,
                             std::string_view write_id = {}, std::string_view drop_ids_below = {});
  // The commit ts recorded for `write_id`, or nullopt if no write with it is stored.
  [[nodiscard]] Result<std::optional<uint64_t>> CommittedWriteTs(std::string_view write_id);
  // The value of `key` at `ts`, or nullopt if absent or deleted.
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key, uint64_t ts);
  // Live keys in [start, end) (end "" = no bound) at `ts`, at most `limit`; *more if cut.
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> Scan(
      std::string_view start, std::string_view end, uint64_t ts, size_t limit, bool* more);
  // Every version with from_ts < commit_ts ≤ to_ts in [start, end), in key then newest-first
  // order, at most `limit`; *more if cut.
  [[nodiscard]] Result<std::vector<MvccVersion>> ScanVersions(std::string_view start,
                                                              std::string_view end,
                                                              uint64_t from_ts, uint64_t to_ts,
                                                              size_t limit, bool* more);
  // Streams entries of [start, end) (end "" = no bound) in storage order to `visit` until it
  // returns false. For bulk readers (backup, log re-scan): no per-key seeks, no copies.
  [[nodiscard]] Status Visit(std::string_view start, std::string_view end, uint64_t from_ts,
                             uint64_t to_ts, VisitMode mode,
                             const std::function<bool(const MvccEntry&)>& visit);
  // Writes versions with their own commit timestamps (restore of logged history); rewriting
  // a version that exists is harmless (same key, same ts, same value).
  [[nodiscard]] Status WriteVersions(const std::vector<MvccVersion>& versions);
  // Moves the given SST files (written with MvccComparator) into the store atomically.
  [[nodiscard]] Status Ingest(const std::vector<std::string>& sst_paths);

  // Drops versions no read at or above `safepoint` can see: for each key, everything older than
  // its newest version ≤ safepoint, and that version too if it is a delete. Returns how many.
  [[nodiscard]] Result<uint64_t> Gc(uint64_t safepoint);

  rocksdb::DB* db() { return db_.get(); }

 private:
  MvccStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  // Owned; destroyed before db_.
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* write_ids_cf_ = nullptr;
};

}  // namespace brix::cluster
