// SST files of BR (docs/format/snapshot.md#sst-data-files): RocksDB SstFileWriter/SstFileReader
// over MVCC-encoded entries, sorted with cluster::MvccComparator so a node can ingest them as they
// are.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cluster/mvcc.h"
#include "cluster/node/mvcc_store.h"
#include "common/result.h"

namespace rocksdb {
class SstFileWriter;
}

namespace brix::br {

// The accepted --compression values, for messages.
inline constexpr std::string_view kCompressionValues = "zstd, lz4, none";
// Refuses anything but zstd, lz4 or none, naming `field`.
[[nodiscard]] Status CheckCompression(std::string_view compression, std::string_view field);

// The checksum contribution of one backed-up entry. A snapshot (full) backup holds only live
// puts and adds (user key, value), so the XOR over its files equals a cluster checksum of the
// same tables at the backup ts. An incremental backup holds versions and deletes; it adds the
// encoded key and stored value, so versions of one key never cancel out.
void AddEntryChecksum(const cluster::MvccEntry& e, bool snapshot, cluster::KvChecksum* sum);

// Writes one local SST file.
class SstWriter {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SstWriter>> Create(const std::string& path,
                                                                 std::string_view compression);
  ~SstWriter();
  [[nodiscard]] Status Add(std::string_view encoded_key, std::string_view stored_value);
  // Closes the file; returns its size in bytes.
  [[nodiscard]] Result<uint64_t> Finish();
  uint64_t entries() const { return entries_; }

 private:
  SstWriter() = default;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  uint64_t entries_ = 0;
};

// Calls `visit` for every entry of a local SST file, in order, verifying block checksums; stops
// when `visit` returns false. Corruption names the file.
[[nodiscard]] Status ReadSst(const std::string& path,
                             const std::function<bool(const cluster::MvccEntry&)>& visit);

}  // namespace brix::br
