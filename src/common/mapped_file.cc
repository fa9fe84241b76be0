#include "common/mapped_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "common/durable_file.h"

namespace brix {

Result<MappedFile> MappedFile::Map(int fd, uint64_t size, bool sequential) {
  MappedFile m;
  if (size == 0) return m;
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return ErrnoStatus("mmap of " + std::to_string(size) + " bytes", errno);
  m.addr_ = addr;
  m.size_ = size;
  // Advice only: a failure changes nothing but readahead.
  if (sequential) ::madvise(addr, size, MADV_SEQUENTIAL);
  return m;
}

void MappedFile::ReleaseBefore(uint64_t offset) {
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t end = std::min(offset, size_) / page * page;
  if (end <= released_) return;
  // Advice only: a failure leaves the pages resident, nothing else.
  ::madvise(static_cast<char*>(addr_) + released_, end - released_, MADV_DONTNEED);
  released_ = end;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      released_(std::exchange(other.released_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (addr_ != nullptr) ::munmap(addr_, size_);
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
    released_ = std::exchange(other.released_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

}  // namespace brix
