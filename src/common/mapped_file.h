// MappedFile: a read-only view of an open regular file's first `size` bytes, mapped from the page
// cache (mmap), so a reader that only looks at the bytes — a checksum, an HTTP body handed to
// curl — touches them in place instead of copying them into a buffer first (read() is a copy per
// byte; on this project's VMs it was the largest cost of uploading a file to Azure).
//
// Contract: the file must not shrink while mapped (the bytes must stay as they were: that is
// ByteSource::NativeFile()'s contract). Touching a page past a truncated end raises SIGBUS, which
// brix does not catch; brix maps only files it wrote itself or that a user named to upload.
// The view is unmapped on destruction. A zero-byte file maps to an empty view.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace brix {

class MappedFile {
 public:
  // Maps [0, size) of `fd` (which stays owned by the caller and may be closed afterwards).
  // `sequential`: the bytes are read once front to back (aggressive readahead).
  [[nodiscard]] static Result<MappedFile> Map(int fd, uint64_t size, bool sequential = true);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const {
    return std::string_view(static_cast<const char*>(addr_), size_);
  }

 private:
  void* addr_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace brix
