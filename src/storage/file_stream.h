// ByteSource and ByteSink over local files (or stdin/stdout as "-"), for streaming uploads and
// downloads without holding whole objects in memory. A FileSource over a regular file knows its
// size and rewinds, so a driver can upload it as one streamed request (Azure: one Put Blob after
// a CRC pass) and retry it; stdin does neither.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/durable_file.h"
#include "storage/external_storage.h"

namespace brix::storage {

class FileSource final : public ByteSource {
 public:
  // "-" reads standard input.
  [[nodiscard]] static Result<std::unique_ptr<FileSource>> Open(const std::string& path);
  // A file the caller hands over to the upload (ByteSource::NativeFileHandedOver): it never writes
  // to it again and removes it afterwards. A local storage makes the object that very file.
  [[nodiscard]] static Result<std::unique_ptr<FileSource>> OpenHandedOver(const std::string& path);
  ~FileSource() override;
  Result<size_t> Read(char* buf, size_t n) override;
  std::optional<uint64_t> Size() const override { return size_; }
  Status Rewind() override;
  int NativeFile() const override;
  bool NativeFileHandedOver() const override { return handed_over_ && size_.has_value(); }

 private:
  FileSource(std::FILE* f, std::string path, std::optional<uint64_t> size)
      : file_(f), path_(std::move(path)), size_(size) {}
  std::FILE* file_;
  std::string path_;
  std::optional<uint64_t> size_;
  bool handed_over_ = false;
};

class FileSink final : public ByteSink {
 public:
  // "-" writes standard output. A file is a DurableFile (common/durable_file.h): written to a
  // temp name beside it and made the file by Finish(), so a failed download never leaves a
  // truncated file under the requested name, and a finished one survives a crash.
  [[nodiscard]] static Result<std::unique_ptr<FileSink>> Create(const std::string& path);
  Status Write(std::string_view data) override;
  // stdout: flushes. A file: fsyncs and renames into place.
  [[nodiscard]] Status Finish();

 private:
  explicit FileSink(std::optional<DurableFile> file) : file_(std::move(file)) {}
  std::optional<DurableFile> file_;  // empty for stdout
};

// SHA-256 of the regular file under `source` (NativeFile() and Size() set: a FileSource of a
// file), read with pread in pieces through one small buffer (ScanFileBytes: no mapping, so the
// process's resident set does not grow by the file, and no page fault per 4 KiB). `before_piece`,
// if set, is given each piece's size first (a rate limiter). A file that shrinks meanwhile fails.
[[nodiscard]] Result<std::string> Sha256OfFile(
    const ByteSource& source, const std::function<void(size_t)>& before_piece = nullptr);

}  // namespace brix::storage
