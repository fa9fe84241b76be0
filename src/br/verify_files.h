// Streamed checks of one stored backup file against what its metadata records: the one owner of
// "read a file once and prove it is what the metadata says", shared by `brix validate`
// (br/snapshot/validate.h, br/log/validate_log.h) and `brix validate --deep`
// (br/deep_validate.h).
//
// Contract:
//  - Each file is read once, through ExternalStorage::GetStream (so a decorator's failure, e.g. a
//    decryption that does not authenticate, surfaces as the error the stream returns), hashing
//    SHA-256 on the way.
//  - An SST streams into a scratch file in `scratch_dir` (removed before returning), never into
//    memory, and is then decoded by RocksDB's SstFileReader (block checksums verified); every
//    entry is added to the kv checksum exactly as the writer added it (br/sst.h
//    AddEntryChecksum). Memory: RocksDB's block reads, not the file.
//  - A log data file is one zstd frame (docs/format/log.md) and is held in memory while decoded:
//    at most its stored size (writers cut files at 64 MiB raw), then one entry at a time.
//  - The result is never an error for a bad file: FileCheck.problem says what is wrong ("" when
//    nothing is), without the file's name (callers add it). Errors are only for the scratch
//    folder.
#pragma once

#include <functional>
#include <string>

#include "br/proto/backup.pb.h"
#include "br/proto/log.pb.h"
#include "cluster/mvcc.h"
#include "cluster/node/mvcc_store.h"
#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::br {

struct FileCheck {
  uint64_t bytes = 0;       // bytes read
  uint64_t entries = 0;     // entries decoded
  std::string problem;      // "" when the file is what its metadata says
  cluster::KvChecksum sum;  // SSTs: the recomputed kv checksum
  bool ok() const { return problem.empty(); }
};

// Returns "" when the entry is as its file's metadata claims, else what is wrong.
using EntryCheck = std::function<std::string(const cluster::MvccEntry&)>;

// An SST of a snapshot backup (`snapshot` = a full backup, as AddEntryChecksum takes it) or of a
// compaction: size and SHA-256, every block, every entry (each passed to `check` if set; its
// first complaint is the problem), and the kv checksum (kvs, bytes, crc64xor) against the file's.
[[nodiscard]] Result<FileCheck> CheckSstObject(storage::ExternalStorage& storage,
                                               const BackupFile& file, bool snapshot,
                                               const std::string& scratch_dir,
                                               const EntryCheck& check = {});

// A log data file: size and SHA-256, decodes, the number of entries and each entry's ts within
// [min_ts, max_ts] of its LogFile.
[[nodiscard]] FileCheck CheckLogDataObject(storage::ExternalStorage& storage, const LogFile& file);

}  // namespace brix::br
