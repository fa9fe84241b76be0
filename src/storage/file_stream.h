// ByteSource and ByteSink over local files (or stdin/stdout as "-"), for streaming uploads and
// downloads without holding whole objects in memory; MappedFile, a read-only view of a whole
// local file, for uploading a finished file with Put without copying it into the heap.
#pragma once

#include <cstdio>
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
  ~FileSource() override;
  Result<size_t> Read(char* buf, size_t n) override;
  std::optional<uint64_t> Size() const override { return size_; }

 private:
  FileSource(std::FILE* f, std::string path, std::optional<uint64_t> size)
      : file_(f), path_(std::move(path)), size_(size) {}
  std::FILE* file_;
  std::string path_;
  std::optional<uint64_t> size_;
};

// A local regular file mapped read-only (mmap): view() is the whole file, backed by the page
// cache (clean, reclaimable pages), not by heap memory. The file must not be truncated while
// mapped. An empty file gives an empty view.
class MappedFile {
 public:
  [[nodiscard]] static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(void* data, size_t size) : data_(data), size_(size) {}
  void* data_;
  size_t size_;
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

}  // namespace brix::storage
