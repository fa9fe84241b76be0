// LogBuffer: where a node's log-backup runner (br/log/node_log.h) keeps the writes it observed
// until its next flush.
//
// Append() runs on the write path and only copies one length-prefixed LogEntry record into
// memory under a mutex. A background writer spills the memory to a local file once it holds
// more than `memory_limit` bytes; when the writer falls behind (memory plus the chunk being
// written reach 2 × memory_limit) Append() waits for it. Memory is bounded: at most
// 2 × memory_limit bytes of records plus the one being appended.
//
// Memory counts as "in the buffer" for the runner's contract (every write ≤ the resolved ts is
// in the buffer before it counts as resolved): a crash loses it, and the runner's restart
// re-scans the store from its checkpoint, which covers every write the memory held.
//
// Any failure of the spill file (open, write, or the close that flushes it — a full disk) breaks
// the buffer: the rest of its appends are dropped and Rotate() returns the error instead of the
// writes, so they must come from a re-scan of the store instead.
//
// Hand-written rather than a library queue: it is one string, one file and one thread, and the
// record format is the one the buffer files always had (4-byte little-endian length, then the
// serialized LogEntry). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "br/proto/log.pb.h"
#include "common/result.h"

namespace brix::br {

// What one Rotate() took from a LogBuffer: the spilled files (older records first), then the
// records still in memory (newest). Movable, not copyable: it owns its files until Remove().
class BufferedWrites {
 public:
  BufferedWrites() = default;
  BufferedWrites(std::vector<std::string> files, std::string memory)
      : files_(std::move(files)), memory_(std::move(memory)) {}

  // Every record in append order; a short or unparsable record is corruption.
  [[nodiscard]] Status ForEach(const std::function<void(LogEntry&&)>& add) const;
  // Moves the records held in memory into a new file in `dir` (so that writes kept over failed
  // flushes do not grow memory); IOError if it cannot be written in full.
  [[nodiscard]] Status Spill(const std::string& dir);
  // Deletes the files.
  void Remove();
  size_t memory_bytes() const { return memory_.size(); }

 private:
  std::vector<std::string> files_;
  std::string memory_;
};

class LogBuffer {
 public:
  // `dir` holds the spill files. While `fault_file` (a test hook; empty = off) exists, every
  // append goes straight to the spill file and spill files cannot be opened or written, as on a
  // full disk.
  LogBuffer(std::string dir, size_t memory_limit, std::string fault_file);
  ~LogBuffer();  // stops the writer and deletes its file
  LogBuffer(const LogBuffer&) = delete;
  LogBuffer& operator=(const LogBuffer&) = delete;

  void Append(const LogEntry& e);
  // Takes every record appended so far and starts empty again. Returns why it does not hold
  // every write appended to it (then its file is deleted) if the buffer broke.
  [[nodiscard]] Result<BufferedWrites> Rotate();

  // For tests: bytes of records held in memory (not yet spilled).
  size_t memory_bytes();

 private:
  void Write();  // the writer thread
  bool Faulty() const;
  Status Failed(const std::string& path, const char* what, int err) const;

  const std::string dir_;
  const size_t memory_limit_;
  const std::string fault_file_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // the writer has something to do
  std::condition_variable idle_cv_;  // a spill finished (room for appends, Rotate may go on)
  std::string memory_;               // records not yet spilled
  size_t spilling_ = 0;              // bytes of the chunk the writer is writing now
  bool spill_now_ = false;           // the fault hook asked for an immediate spill
  std::string path_;                 // the spill file ("" = none yet)
  std::FILE* file_ = nullptr;
  Status error_;  // set once the buffer misses a write
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace brix::br
