// Durable file writes: the one way brix writes a local file that must survive a crash (store
// ids, brixd's token, certificate and kubeconfig, playground state, local-storage objects).
//
// Contract of DurableFile (and of WriteFileDurably, its one-shot form):
// - The bytes go to a temp file beside the target, ".<name><marker><uuid>" in the same folder
//   (created if missing), opened O_EXCL with exactly `mode` (fchmod, so the umask and any stale
//   file cannot widen it: secrets use 0600).
// - Commit() fsyncs the temp file, renames it over the target (or, with `if_absent`, links it
//   and fails AlreadyExists when the target exists), then fsyncs the folder. After a crash at
//   any moment the target holds its old contents or the new ones, never a mix or nothing; once
//   Commit() returned OK the new contents survive power loss.
// - Any failure, and destruction without Commit(), leaves the target untouched and removes the
//   temp file. Errors name the path and the OS error, never the contents.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace brix {

inline constexpr std::string_view kDurableTempMarker = ".tmp-";

struct DurableFileOptions {
  mode_t mode = 0644;
  bool if_absent = false;  // Commit() refuses (AlreadyExists) to replace an existing target
  // Part of the temp file's name; callers that list folders skip names containing it.
  std::string_view temp_marker = kDurableTempMarker;
};

class DurableFile {
 public:
  [[nodiscard]] static Result<DurableFile> Create(const std::string& path,
                                                  const DurableFileOptions& options = {});
  DurableFile(DurableFile&& other) noexcept;
  DurableFile& operator=(DurableFile&&) = delete;
  DurableFile(const DurableFile&) = delete;
  ~DurableFile();  // not committed: removes the temp file

  [[nodiscard]] Status Append(std::string_view bytes);
  // Appends the first `length` bytes of the open regular file `fd` (its offset is left alone),
  // copied by the kernel (copy_file_range: no user-space buffer; a shared extent where the
  // filesystem can), or through a buffer where the kernel cannot (another filesystem on older
  // kernels). A file shorter than `length` fails (it changed under us).
  [[nodiscard]] Status AppendFile(int fd, uint64_t length);
  // Makes the temp file the very file open as `fd` (a hard link: nothing is copied or written
  // again), instead of appending to it; only before anything was appended. The caller must never
  // write to that file again: it becomes the target's contents. Its mode becomes `mode` (one
  // file, one mode). False when the kernel cannot link it here (another filesystem, a file already
  // removed, no /proc): nothing changed, append instead. A file that is not `length` bytes fails
  // FailedPrecondition (it changed under us).
  [[nodiscard]] Result<bool> LinkFile(int fd, uint64_t length);
  // Makes the written bytes the target's contents (see the contract above). Once only.
  [[nodiscard]] Status Commit();
  const std::string& temp_path() const { return temp_path_; }

 private:
  DurableFile(std::string path, std::string temp_path, int fd, const DurableFileOptions& options)
      : path_(std::move(path)),
        temp_path_(std::move(temp_path)),
        fd_(fd),
        mode_(options.mode),
        if_absent_(options.if_absent) {}
  void Discard();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  mode_t mode_ = 0644;
  bool if_absent_ = false;
  bool appended_ = false;
  bool linked_ = false;
  bool done_ = false;
  Status failed_;  // the first Append() failure; Commit() returns it
};

// Replaces `path` with `bytes` durably and atomically (the contract above), mode `mode`.
[[nodiscard]] Status WriteFileDurably(const std::string& path, std::string_view bytes,
                                      mode_t mode = 0644);

// The whole contents of the local file `path` (NotFound, PermissionDenied or IOError naming it).
[[nodiscard]] Result<std::string> ReadWholeFile(const std::string& path);

// fsyncs a folder so that entries created or renamed in it survive a crash.
[[nodiscard]] Status FsyncDirectory(const std::string& dir);

// Owns a file descriptor; closes it on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Copies the first `length` bytes of the open regular file `from` (its offset is left alone) to
// `to` at its current offset: copy_file_range (in the kernel, no user-space buffer; a shared
// extent where the filesystem can), or through a buffer where the kernel cannot. A source shorter
// than `length` fails FailedPrecondition (it changed under us). `what` names `to` in errors.
[[nodiscard]] Status CopyFileBytes(int from, int to, uint64_t length, const std::string& what);

// Reads `length` bytes of the open file `fd` from `offset` (its file offset is left alone) with
// pread through one buffer of kScanPieceBytes, giving fn each piece in order; fn's error stops
// the scan and is returned. A source shorter than `length` fails FailedPrecondition (it changed
// under us). `what` names `fd` in errors. Reading into a small buffer that stays in the CPU's
// cache is faster here than hashing a mapping of the page cache (a page fault per 4 KiB, each
// expensive under a paravirtualised MMU) and lets fn hash and then write the same bytes.
inline constexpr size_t kScanPieceBytes = 256 << 10;
[[nodiscard]] Status ScanFileBytes(int fd, uint64_t offset, uint64_t length,
                                   const std::string& what,
                                   const std::function<Status(std::string_view)>& fn);

// Writes all of `bytes` to `fd` at its current offset (retrying short writes and EINTR); `what`
// names `fd` in errors.
[[nodiscard]] Status WriteAll(int fd, std::string_view bytes, const std::string& what);

// Asks the kernel to start writing `length` bytes of `fd` from `offset` to the disk
// (sync_file_range with SYNC_FILE_RANGE_WRITE; `length` 0: to the end) and returns without
// waiting for them: a file that will be fsynced later (a staged SST, when RocksDB ingests it)
// is then mostly on the disk by that time, its writeback overlapped with the work that follows.
// A hint: nothing is promised durable, and a failure shows up at the fsync.
void StartWriteback(int fd, uint64_t offset = 0, uint64_t length = 0);

// A file written in one go and fsynced later is handed to the disk this many bytes at a time
// (StartWriteback; RocksDB's bytes_per_sync, which does the same, for the SSTs brix writes).
inline constexpr uint64_t kWritebackStepBytes = 8 << 20;

// A Status for a failed system call on `what` (NotFound, AlreadyExists, PermissionDenied or
// IOError by errno), its message "<what>: <strerror>".
Status ErrnoStatus(const std::string& what, int err);

}  // namespace brix
