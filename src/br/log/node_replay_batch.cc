#include "br/log/node_replay_batch.h"

#include "cluster/mvcc.h"

namespace brix::br {
namespace {

void PutFixed32(std::string* out, size_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

void AppendStagedVersion(std::string* batch, std::string_view key_head, std::string_view key_tail,
                         uint64_t ts, bool is_delete, std::string_view value) {
  PutFixed32(batch, key_head.size() + key_tail.size() + 8);
  batch->append(key_head);
  batch->append(key_tail);
  batch->append(cluster::EncodeMvccKey({}, ts));  // the ts suffix (8 bytes: no allocation)
  PutFixed32(batch, is_delete ? 1 : 1 + value.size());
  batch->push_back(static_cast<char>(is_delete ? cluster::MvccOp::kDelete : cluster::MvccOp::kPut));
  if (!is_delete) batch->append(value);
}

void AppendStagedVersion(std::string* batch, std::string_view mvcc_key,
                         std::string_view mvcc_value) {
  PutFixed32(batch, mvcc_key.size());
  batch->append(mvcc_key);
  PutFixed32(batch, mvcc_value.size());
  batch->append(mvcc_value);
}

bool StagedVersionReader::Take(std::string_view* out) {
  if (rest_.size() < 4) return false;
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size |= uint32_t{static_cast<unsigned char>(rest_[i])} << (8 * i);
  rest_.remove_prefix(4);
  if (size > rest_.size()) return false;
  *out = rest_.substr(0, size);
  rest_.remove_prefix(size);
  return true;
}

bool StagedVersionReader::Next(std::string_view* key, std::string_view* value) {
  if (rest_.empty() || corrupt_) return false;
  // A key is at least the 8-byte ts suffix; a value at least its op byte.
  if (!Take(key) || key->size() < 8 || !Take(value) || value->empty()) {
    corrupt_ = true;
    return false;
  }
  return true;
}

}  // namespace brix::br
