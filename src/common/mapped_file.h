// MappedFile: a read-only view of an open regular file's first `size` bytes, mapped from the page
// cache (mmap), so a reader that only looks at the bytes — a checksum, an HTTP body handed to
// curl — touches them in place instead of copying them into a buffer first (read() is a copy per
// byte; on this project's VMs it was the largest cost of uploading a file to Azure).
//
// Contract: the file must not shrink while mapped (the bytes must stay as they were: that is
// ByteSource::NativeFile()'s contract). Touching a page past a truncated end raises SIGBUS, which
// brix does not catch; brix maps only files it wrote itself or that a user named to upload.
// The view is unmapped on destruction. A zero-byte file maps to an empty view.
//
// Every page read through the view counts in the process's resident set (RssFile) until it is
// unmapped, although the kernel may drop it from the page cache: a reader that goes through a
// large file once calls ReleaseBefore() behind itself so that the resident set stays one piece
// instead of the whole file. (A reader that hashes or copies a file goes through ScanFileBytes,
// common/durable_file.h: a page fault per 4 KiB of a mapping costs more than a read here.)
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

  // Takes the whole pages of [0, offset) out of this process's resident set (MADV_DONTNEED; the
  // page cache keeps them). The view stays valid: a released byte read again is mapped back from
  // the file. Offsets at or below an earlier call's cost nothing.
  void ReleaseBefore(uint64_t offset);

 private:
  void* addr_ = nullptr;
  uint64_t size_ = 0;
  uint64_t released_ = 0;  // [0, released_) was released; a multiple of the page size
};

}  // namespace brix
