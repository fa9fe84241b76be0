#include "common/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "common/random.h"

namespace brix {

namespace fs = std::filesystem;

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Status ErrnoStatus(const std::string& what, int err) {
  std::string msg = what + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  if (err == EEXIST) return Status::AlreadyExists(msg);
  if (err == EACCES || err == EPERM) return Status::PermissionDenied(msg);
  return Status::IOError(msg);
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoStatus("read " + path, errno);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory " + dir, errno);
  Status s;
  if (::fsync(fd) != 0) s = ErrnoStatus("fsync directory " + dir, errno);
  ::close(fd);
  return s;
}

Result<DurableFile> DurableFile::Create(const std::string& path,
                                        const DurableFileOptions& options) {
  fs::path target(path);
  if (target.filename().empty()) return Status::InvalidArgument("not a file path: " + path);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("create directory " + dir.string() + ": " + ec.message());
  // Appended, not `"." + name`: GCC 12 at -O3 reports a false -Wrestrict inside libstdc++'s
  // operator+(const char*, string&&) (GCC bug 105651), which breaks the Release build.
  std::string hidden = ".";
  hidden += target.filename().string();
  std::string temp = (dir / hidden).string() + std::string(options.temp_marker) + NewUuid();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, options.mode & 07777);
  if (fd < 0) return ErrnoStatus("create " + temp, errno);
  if (::fchmod(fd, options.mode & 07777) != 0) {
    Status s = ErrnoStatus("chmod " + temp, errno);
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  }
  return DurableFile(path, std::move(temp), fd, options);
}

DurableFile::DurableFile(DurableFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(other.fd_),
      mode_(other.mode_),
      if_absent_(other.if_absent_),
      appended_(other.appended_),
      linked_(other.linked_),
      done_(other.done_),
      failed_(std::move(other.failed_)) {
  other.fd_ = -1;
  other.done_ = true;
}

DurableFile::~DurableFile() { Discard(); }

void DurableFile::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!done_) ::unlink(temp_path_.c_str());
  done_ = true;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& what) {
  const char* data = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write " + what, errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

namespace {

Status SourceEnded(const std::string& what, uint64_t got, uint64_t length) {
  return Status::FailedPrecondition(what + ": the source ended after " + std::to_string(got) +
                                    " of " + std::to_string(length) + " bytes");
}

}  // namespace

Status ScanFileBytes(int fd, uint64_t offset, uint64_t length, const std::string& what,
                     const std::function<Status(std::string_view)>& fn) {
  std::string buf(static_cast<size_t>(std::min<uint64_t>(length, kScanPieceBytes)), '\0');
  uint64_t done = 0;
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(length - done, buf.size()));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read " + what, errno);
    }
    if (n == 0) return SourceEnded("read " + what, done, length);
    BRIX_RETURN_IF_ERROR(fn(std::string_view(buf.data(), static_cast<size_t>(n))));
    done += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

void StartWriteback(int fd, uint64_t offset, uint64_t length) {
  (void)::sync_file_range(fd, static_cast<off64_t>(offset), static_cast<off64_t>(length),
                          SYNC_FILE_RANGE_WRITE);
}

Status CopyFileBytes(int from, int to, uint64_t length, const std::string& what) {
  loff_t in = 0;
  while (static_cast<uint64_t>(in) < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(length - in, 1 << 30));
    ssize_t n = ::copy_file_range(from, &in, to, nullptr, want, 0);
    if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      // Not between these files: the rest through a buffer.
      return ScanFileBytes(from, static_cast<uint64_t>(in), length - static_cast<uint64_t>(in),
                           "the source of " + what,
                           [&](std::string_view piece) { return WriteAll(to, piece, what); });
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("copy into " + what, errno);
    }
    if (n == 0) return SourceEnded("copy into " + what, static_cast<uint64_t>(in), length);
  }
  return Status::OK();
}

Status DurableFile::Append(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (done_ || fd_ < 0) return Status::FailedPrecondition("append to " + path_ + " after commit");
  if (linked_) return Status::FailedPrecondition("append to " + path_ + " after a link");
  appended_ = true;
  failed_ = WriteAll(fd_, bytes, temp_path_);
  return failed_;
}

Status DurableFile::AppendFile(int fd, uint64_t length) {
  if (!failed_.ok()) return failed_;
  if (done_ || fd_ < 0) return Status::FailedPrecondition("append to " + path_ + " after commit");
  if (linked_) return Status::FailedPrecondition("append to " + path_ + " after a link");
  appended_ = true;
  failed_ = CopyFileBytes(fd, fd_, length, temp_path_);
  return failed_;
}

Result<bool> DurableFile::LinkFile(int fd, uint64_t length) {
  if (!failed_.ok()) return failed_;
  if (done_ || fd_ < 0) return Status::FailedPrecondition("link into " + path_ + " after commit");
  if (appended_ || linked_) {
    return Status::FailedPrecondition("link into " + path_ + " after an append or a link");
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat the file to link into " + path_, errno);
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != length) {
    return Status::FailedPrecondition("the file to link into " + path_ + " is not " +
                                      std::to_string(length) + " bytes (it changed)");
  }
  // Linked under a second temp name, then renamed over the empty temp file: a failure leaves the
  // empty temp file as it was, for the caller's append. /proc/self/fd links the open file itself,
  // whatever its path is now (linkat's AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH).
  const std::string linked = temp_path_ + "-link";
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, linked.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    switch (errno) {
      case EXDEV:   // another filesystem
      case ENOENT:  // the file was removed meanwhile, or no /proc
      case EPERM:   // a filesystem without hard links, or protected_hardlinks
      case EACCES:
      case EMLINK:  // too many links
      case EOPNOTSUPP:
        return false;
      default:
        return ErrnoStatus("link " + linked, errno);
    }
  }
  Fd linked_fd(::open(linked.c_str(), O_RDONLY | O_CLOEXEC));  // for Commit()'s fsync
  Status s;
  if (linked_fd.get() < 0) {
    s = ErrnoStatus("open " + linked, errno);
  } else if (::fchmod(linked_fd.get(), mode_ & 07777) != 0) {
    s = ErrnoStatus("chmod " + linked, errno);
  } else if (::rename(linked.c_str(), temp_path_.c_str()) != 0) {
    s = ErrnoStatus("rename " + linked, errno);
  }
  if (!s.ok()) {
    ::unlink(linked.c_str());
    return s;
  }
  ::close(fd_);
  fd_ = linked_fd.release();
  linked_ = true;
  return true;
}

Status DurableFile::Commit() {
  if (done_) return Status::FailedPrecondition("commit of " + path_ + " twice");
  Status s = failed_;
  if (s.ok() && ::fsync(fd_) != 0) s = ErrnoStatus("fsync " + temp_path_, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && s.ok()) s = ErrnoStatus("close " + temp_path_, errno);
  if (s.ok()) {
    if (if_absent_) {
      // link() fails with EEXIST instead of replacing, which makes the create atomic.
      if (::link(temp_path_.c_str(), path_.c_str()) != 0) s = ErrnoStatus("link " + path_, errno);
      ::unlink(temp_path_.c_str());
    } else if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      s = ErrnoStatus("rename to " + path_, errno);
    }
  }
  if (!s.ok()) {
    Discard();
    return s;
  }
  done_ = true;
  std::string dir = fs::path(path_).parent_path().string();
  return FsyncDirectory(dir.empty() ? "." : dir);
}

Status WriteFileDurably(const std::string& path, std::string_view bytes, mode_t mode) {
  BRIX_ASSIGN_OR_RETURN(DurableFile file, DurableFile::Create(path, {.mode = mode}));
  BRIX_RETURN_IF_ERROR(file.Append(bytes));
  return file.Commit();
}

}  // namespace brix
