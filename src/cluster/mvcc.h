// The MVCC data model shared by kvnode, the client, backup and restore (docs/cluster.md,
// docs/format/snapshot.md).
//
// Storage key:  encoded = user_key ‖ big-endian(~commit_ts)   (newest version sorts first)
// Storage value: one op byte ('P' put, 'D' delete) ‖ value
// Because user keys have different lengths, plain byte order would interleave the versions of
// "a" with the key "ab"; MvccComparator() orders by user key first, then by the ts suffix, and
// every RocksDB instance and SST file holding MVCC data uses it.
//
// Table rows live at t{table_id: 8-byte big-endian}_r{row key}; the catalog under prefix 'm'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rocksdb {
class Comparator;
}

namespace brix::cluster {

enum class MvccOp : char { kPut = 'P', kDelete = 'D' };

std::string EncodeMvccKey(std::string_view user_key, uint64_t commit_ts);
// EncodeMvccKey appended to `out` (a caller encoding many keys reuses one buffer).
void AppendMvccKey(std::string* out, std::string_view user_key, uint64_t commit_ts);
// Splits an encoded key; false if it is shorter than the 8-byte suffix.
bool DecodeMvccKey(std::string_view encoded, std::string_view* user_key, uint64_t* commit_ts);
std::string EncodeMvccValue(MvccOp op, std::string_view value);
void AppendMvccValue(std::string* out, MvccOp op, std::string_view value);
bool DecodeMvccValue(std::string_view stored, MvccOp* op, std::string_view* value);

// The comparator described above (name "brix.MvccComparator.v1"). Process-lifetime singleton.
const rocksdb::Comparator* MvccComparator();

// --- keys of the data model ---
inline constexpr char kMetaPrefix = 'm';
inline constexpr char kTablePrefix = 't';

// t{id}  — every key of the table starts with it.
std::string TablePrefix(int64_t table_id);
// t{id}_r{row}
std::string RowKey(int64_t table_id, std::string_view row);
// The table id of a table key, if `key` is one.
std::optional<int64_t> TableIdOf(std::string_view key);
// Catalog key of a table: m_tbl/{db}.{table}; its value is the table id as decimal text.
std::string CatalogKey(std::string_view db, std::string_view table);
inline constexpr std::string_view kCatalogPrefix = "m_tbl/";

// Checksum contribution of one live key (docs/format/snapshot.md#checksums): CRC-64/XZ over key ‖
// value, where for a table key the 9 bytes "t{id}" are left out, so a table restored under a new id
// checksums the same. bytes = key length + value length (same rule).
struct KvChecksum {
  uint64_t kvs = 0;
  uint64_t bytes = 0;
  uint64_t crc64xor = 0;
  void Add(std::string_view user_key, std::string_view value);
  void Merge(const KvChecksum& other);
  bool operator==(const KvChecksum&) const = default;
  // "kvs=N bytes=B crc64xor=0x<16 hex>"
  std::string ToString() const;
};

}  // namespace brix::cluster
