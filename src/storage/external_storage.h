// ExternalStorage: the one interface through which brix reads and writes backup data
// (docs/storage.md). Drivers: local files (storage/local) and Azure Blob (storage/azure); wrappers
// add retries (storage/retrying_storage.h) and injected faults (storage/fault). Only the local
// driver answers LocalFile(); no wrapper forwards it.
//
// Object names are relative to the location the storage was opened at (the prefix of the URL),
// use '/' as separator, and never start with '/'. Every method is safe to call concurrently from
// many threads. Writes are atomic: a reader sees either the previous object or the complete new
// one, never a partial object, even if the writer crashes midway.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace brix::storage {

struct ObjectInfo {
  std::string name;  // relative to the storage's prefix
  uint64_t size = 0;
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // in lexicographic byte order of name
  std::string next_token;           // empty when this was the last page
};

// A half-open byte range [offset, offset + length). length = nullopt means "to the end".
struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

// Where streamed uploads read from. Read() fills up to `n` bytes and returns how many it wrote;
// 0 means the end. Called from one thread at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  [[nodiscard]] virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // Total bytes, if known in advance (lets drivers pick single-shot vs. multi-part).
  virtual std::optional<uint64_t> Size() const { return std::nullopt; }
  // Starts over at the first byte, so the bytes can be read twice (a checksum pass before an
  // upload whose header needs it) or a failed upload retried. One-pass streams (a pipe) cannot:
  // NotSupported, and drivers then buffer what they need.
  [[nodiscard]] virtual Status Rewind() { return Status::NotSupported("the stream cannot rewind"); }
  // The open regular file holding exactly the bytes (from offset 0 to Size()), or -1: lets a
  // driver that writes local files copy it in the kernel instead of through Read().
  virtual int NativeFile() const { return -1; }
  // True when the caller hands NativeFile() over to the upload: it never writes to that file again
  // and only removes it (a node's finished SST). A driver that writes local files may then make
  // the object that very file (a hard link: no copy, the bytes go to the disk once) instead of
  // copying it. False (the default) for a file that stays someone's, such as a user's upload: the
  // object must not change when the file does.
  virtual bool NativeFileHandedOver() const { return false; }
};

// Where streamed downloads write to, in order. Called from one thread at a time.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  [[nodiscard]] virtual Status Write(std::string_view data) = 0;
};

struct PutOptions {
  // Fail with AlreadyExists if the object exists (used for locks). Only for whole-object Put.
  bool if_absent = false;
};

class ExternalStorage {
 public:
  virtual ~ExternalStorage() = default;

  // The location this storage was opened at, with secrets redacted (safe to print).
  virtual std::string Describe() const = 0;

  // Writes the whole object, replacing any existing one (unless options.if_absent).
  [[nodiscard]] virtual Status Put(std::string_view name, std::string_view data,
                                   const PutOptions& options = {}) = 0;
  // Writes the object from a stream of unknown or known length; atomic like Put.
  [[nodiscard]] virtual Status PutStream(std::string_view name, ByteSource& source) = 0;

  // Reads the whole object, or a byte range of it. NotFound if it does not exist;
  // InvalidArgument if the range starts past the end (a range may end past the end: it is cut).
  [[nodiscard]] virtual Result<std::string> Get(std::string_view name,
                                                std::optional<ByteRange> range = {}) = 0;
  // Streams the whole object to `sink` in order.
  [[nodiscard]] virtual Status GetStream(std::string_view name, ByteSink& sink) = 0;

  // One page of the objects whose names start with `prefix`. Pass the previous page's next_token
  // to continue. A page may be empty yet have a next_token.
  [[nodiscard]] virtual Result<ListPage> List(std::string_view prefix,
                                              std::string_view page_token = {},
                                              int max_results = 1000) = 0;

  // Removes the object. Removing an object that does not exist is OK (deletes are idempotent, so
  // a retried delete whose first try succeeded does not fail).
  [[nodiscard]] virtual Status Delete(std::string_view name) = 0;

  // Size of the object; NotFound if it does not exist.
  [[nodiscard]] virtual Result<ObjectInfo> Stat(std::string_view name) = 0;

  // The local file holding exactly the object's bytes, for a caller that copies or hashes it in
  // the kernel (copy_file_range, mmap) instead of through GetStream; nullopt (the default) for
  // every storage that is not a plain local driver. Wrappers that change or fault the bytes
  // (encryption, fault injection) must not forward it, so reading the file never bypasses them.
  virtual std::optional<std::string> LocalFile(std::string_view name) const {
    (void)name;
    return std::nullopt;
  }

  // --- Conveniences built on the primitives above (same for every driver). ---

  // True if the object exists.
  [[nodiscard]] Result<bool> Exists(std::string_view name);
  // Every object under `prefix`, following pages.
  [[nodiscard]] Result<std::vector<ObjectInfo>> ListAll(std::string_view prefix);
  // Deletes every object under `prefix` with `parallelism` deletes in flight; returns how many.
  [[nodiscard]] Result<uint64_t> DeletePrefix(std::string_view prefix, int parallelism = 16);
};

// Checks an object name: non-empty, no leading '/', no empty, "." or ".." segments, no NUL.
[[nodiscard]] Status ValidateObjectName(std::string_view name);

}  // namespace brix::storage
