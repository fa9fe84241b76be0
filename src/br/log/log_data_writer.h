// LogDataWriter: one log data file (docs/format/log.md, "Data files") written entry by entry,
// without holding the file in memory — what a node's flush (node_log.cc) uploads.
//
// Entries are appended to a local scratch file as a serialized LogBatch (each one a
// length-delimited field 1, exactly what LogBatch::SerializeAsString would give for the same
// entries in the same order). Finish() compresses the scratch file, streaming, into a second
// scratch file: one zstd frame at level 3 whose header records the content size (the raw size is
// known by then), hashing the compressed bytes with SHA-256 as they are written. The result is the
// same format EncodeLogBatch (log_files.h) writes, so every reader reads both.
//
// Memory: one serialized entry and zstd's streaming buffers (a few MiB at level 3), whatever
// the file's size; the old in-memory path held the batch's objects, their serialization and the
// compressed copy at once (about three times the raw size). Disk: the raw and the compressed
// bytes, in `dir`, until the writer is destroyed (it removes both).
//
// Hand-written framing is avoided: entries are framed by protobuf's own WireFormatLite over a
// FileOutputStream. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "br/proto/log.pb.h"
#include "common/result.h"

namespace brix::br {

class LogDataWriter {
 public:
  // Scratch files `<dir>/<random>.raw` and `.zst`; `dir` must exist.
  [[nodiscard]] static Result<std::unique_ptr<LogDataWriter>> Create(const std::string& dir);
  ~LogDataWriter();
  LogDataWriter(const LogDataWriter&) = delete;
  LogDataWriter& operator=(const LogDataWriter&) = delete;

  // IOError when the scratch file cannot be written (a full disk).
  [[nodiscard]] Status Add(const LogEntry& entry);
  // Bytes of the serialized batch so far (what Finish() compresses).
  uint64_t raw_size() const { return raw_size_; }
  uint64_t entries() const { return entries_; }

  struct Encoded {
    std::string path;    // the compressed file, ready to upload (removed with the writer)
    uint64_t size = 0;   // its bytes
    std::string sha256;  // of its bytes (raw 32 bytes)
    uint64_t raw_size = 0;
  };
  // Compresses what was added; no Add() afterwards.
  [[nodiscard]] Result<Encoded> Finish();

 private:
  struct Raw;
  LogDataWriter(std::string raw_path, std::string zst_path, std::unique_ptr<Raw> raw);

  std::string raw_path_;
  std::string zst_path_;
  std::unique_ptr<Raw> raw_;
  std::string scratch_;  // one serialized entry
  uint64_t raw_size_ = 0;
  uint64_t entries_ = 0;
};

}  // namespace brix::br
