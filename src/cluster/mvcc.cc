#include "cluster/mvcc.h"

#include <rocksdb/comparator.h>
#include <rocksdb/slice.h>

#include <cstdio>

#include "common/crc64.h"

namespace brix::cluster {
namespace {

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

class MvccKeyComparator final : public rocksdb::Comparator {
 public:
  const char* Name() const override { return "brix.MvccComparator.v1"; }

  int Compare(const rocksdb::Slice& a, const rocksdb::Slice& b) const override {
    // Keys shorter than the suffix never occur in data; order them bytewise for safety.
    if (a.size() < 8 || b.size() < 8) return a.compare(b);
    rocksdb::Slice ua(a.data(), a.size() - 8), ub(b.data(), b.size() - 8);
    int c = ua.compare(ub);
    if (c != 0) return c;
    return rocksdb::Slice(a.data() + a.size() - 8, 8)
        .compare(rocksdb::Slice(b.data() + b.size() - 8, 8));
  }
  // Keep keys as they are: shortening would cut into the user key / ts boundary.
  void FindShortestSeparator(std::string*, const rocksdb::Slice&) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

}  // namespace

std::string EncodeMvccKey(std::string_view user_key, uint64_t commit_ts) {
  std::string out;
  AppendMvccKey(&out, user_key, commit_ts);
  return out;
}

void AppendMvccKey(std::string* out, std::string_view user_key, uint64_t commit_ts) {
  out->append(user_key);
  PutBigEndian64(out, ~commit_ts);
}

bool DecodeMvccKey(std::string_view encoded, std::string_view* user_key, uint64_t* commit_ts) {
  if (encoded.size() < 8) return false;
  *user_key = encoded.substr(0, encoded.size() - 8);
  *commit_ts = ~GetBigEndian64(encoded.substr(encoded.size() - 8));
  return true;
}

std::string EncodeMvccValue(MvccOp op, std::string_view value) {
  std::string out;
  AppendMvccValue(&out, op, value);
  return out;
}

void AppendMvccValue(std::string* out, MvccOp op, std::string_view value) {
  out->push_back(static_cast<char>(op));
  if (op == MvccOp::kPut) out->append(value);
}

bool DecodeMvccValue(std::string_view stored, MvccOp* op, std::string_view* value) {
  if (stored.empty()) return false;
  if (stored[0] == 'P')
    *op = MvccOp::kPut;
  else if (stored[0] == 'D')
    *op = MvccOp::kDelete;
  else
    return false;
  *value = stored.substr(1);
  return true;
}

const rocksdb::Comparator* MvccComparator() {
  static const MvccKeyComparator comparator;
  return &comparator;
}

std::string TablePrefix(int64_t table_id) {
  std::string out(1, kTablePrefix);
  PutBigEndian64(&out, static_cast<uint64_t>(table_id));
  return out;
}

std::string RowKey(int64_t table_id, std::string_view row) {
  std::string out = TablePrefix(table_id);
  out += "_r";
  out += row;
  return out;
}

std::optional<int64_t> TableIdOf(std::string_view key) {
  if (key.size() < 9 || key[0] != kTablePrefix) return std::nullopt;
  return static_cast<int64_t>(GetBigEndian64(key.substr(1, 8)));
}

std::string CatalogKey(std::string_view db, std::string_view table) {
  std::string out(kCatalogPrefix);
  out += db;
  out += '.';
  out += table;
  return out;
}

void KvChecksum::Add(std::string_view user_key, std::string_view value) {
  std::string_view k = TableIdOf(user_key) ? user_key.substr(9) : user_key;
  ++kvs;
  bytes += k.size() + value.size();
  crc64xor ^= Crc64Xz(value, Crc64Xz(k));
}

void KvChecksum::Merge(const KvChecksum& other) {
  kvs += other.kvs;
  bytes += other.bytes;
  crc64xor ^= other.crc64xor;
}

std::string KvChecksum::ToString() const {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "kvs=%llu bytes=%llu crc64xor=0x%016llx",
                static_cast<unsigned long long>(kvs), static_cast<unsigned long long>(bytes),
                static_cast<unsigned long long>(crc64xor));
  return buf;
}

}  // namespace brix::cluster
