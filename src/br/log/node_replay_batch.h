// The bytes of StageVersionsRequest.encoded (br/proto/log.proto): versions exactly as a node
// buffers them for its sort, one after another, each
//   key size (fixed32 LE) ‖ MVCC key ‖ value size (fixed32 LE) ‖ MVCC value
// with the MVCC key and value of cluster/mvcc.h (user key ‖ ts suffix; op byte ‖ value). The PITR
// coordinator (pitr.cc) appends each version straight from the decoded log file and the node
// (node_replay.cc) checks it and sorts views into it: no version becomes an object on either side.
// Hand-written, not a repeated protobuf message: that cost every version a parse into an object
// and a re-encode on both sides of the call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace brix::br {

// Appends one version whose user key is `key_head` followed by `key_tail` (a rewritten table
// prefix and the rest of the logged key).
void AppendStagedVersion(std::string* batch, std::string_view key_head, std::string_view key_tail,
                         uint64_t ts, bool is_delete, std::string_view value);

// Appends one version as StagedVersionReader returned it.
void AppendStagedVersion(std::string* batch, std::string_view mvcc_key,
                         std::string_view mvcc_value);

// The versions of a batch in order.
class StagedVersionReader {
 public:
  explicit StagedVersionReader(std::string_view batch) : rest_(batch) {}
  // The next version's MVCC key and value (views into the batch); false at the end, or at bytes
  // that do not parse as a version (then corrupt()).
  bool Next(std::string_view* key, std::string_view* value);
  bool corrupt() const { return corrupt_; }

 private:
  bool Take(std::string_view* out);
  std::string_view rest_;
  bool corrupt_ = false;
};

}  // namespace brix::br
