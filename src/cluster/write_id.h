// Write ids: what makes a KvClient write retried after its node died idempotent (the WriteRequest
// contract is in proto/cluster.proto, the storage of records in node/mvcc_store.h). An id is 16
// bytes, the client's TSO ts ‖ a sequence number (both big-endian): unique without coordination
// (kvpd never hands out a ts twice) and ordered by age, so a node forgets old ids with one range
// delete. A record (the value stored under an id) is the commit ts, big-endian.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace brix::cluster {

inline constexpr size_t kWriteIdSize = 16;
// A client takes a fresh ts for its ids at least this often...
inline constexpr std::chrono::minutes kWriteIdPrefixRefresh{1};
// ...a node refuses ids whose ts is older than this (their record may be gone: a retry could
// not be told from a new write)...
inline constexpr std::chrono::minutes kWriteIdMaxAge{5};
// ...and drops the records of ids older than this.
inline constexpr std::chrono::minutes kWriteIdRetention{10};

namespace write_id_internal {
inline void PutBigEndian(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline uint64_t GetBigEndian(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}
}  // namespace write_id_internal

inline std::string MakeWriteId(uint64_t ts, uint64_t sequence) {
  std::string id;
  write_id_internal::PutBigEndian(&id, ts);
  write_id_internal::PutBigEndian(&id, sequence);
  return id;
}

// The ts an id was made with, or nullopt if it is not an id.
inline std::optional<uint64_t> WriteIdTs(std::string_view id) {
  if (id.size() != kWriteIdSize) return std::nullopt;
  return write_id_internal::GetBigEndian(id);
}

inline std::string EncodeWriteIdRecord(uint64_t commit_ts) {
  std::string out;
  write_id_internal::PutBigEndian(&out, commit_ts);
  return out;
}

inline std::optional<uint64_t> DecodeWriteIdRecord(std::string_view record) {
  if (record.size() != 8) return std::nullopt;
  return write_id_internal::GetBigEndian(record);
}

}  // namespace brix::cluster
