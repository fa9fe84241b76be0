#include "storage/file_stream.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/random.h"

namespace brix::storage {

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<FileSource>(new FileSource(stdin, path, std::nullopt));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::string msg = "open " + path + ": " + std::strerror(errno);
    return errno == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
  }
  struct stat st;
  std::optional<uint64_t> size;
  if (::fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) size = static_cast<uint64_t>(st.st_size);
  return std::unique_ptr<FileSource>(new FileSource(f, path, size));
}

FileSource::~FileSource() {
  if (file_ != stdin) std::fclose(file_);
}

Result<size_t> FileSource::Read(char* buf, size_t n) {
  size_t got = std::fread(buf, 1, n, file_);
  if (got < n && std::ferror(file_)) return Status::IOError("read " + path_ + " failed");
  return got;
}

Result<std::unique_ptr<FileSink>> FileSink::Create(const std::string& path) {
  if (path == "-") return std::unique_ptr<FileSink>(new FileSink(stdout, path, ""));
  std::string tmp = path + ".brix-tmp-" + NewUuid();
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::IOError("create " + tmp + ": " + std::strerror(errno));
  return std::unique_ptr<FileSink>(new FileSink(f, path, tmp));
}

FileSink::~FileSink() {
  if (file_ != nullptr && file_ != stdout) {
    std::fclose(file_);
    ::unlink(tmp_.c_str());  // not finished: leave nothing behind
  }
}

Status FileSink::Write(std::string_view data) {
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
    return Status::IOError("write " + path_ + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Status FileSink::Finish() {
  if (std::fflush(file_) != 0) return Status::IOError("flush " + path_ + " failed");
  if (file_ == stdout) return Status::OK();
  if (::fsync(fileno(file_)) != 0) return Status::IOError("fsync " + path_ + " failed");
  std::fclose(file_);
  file_ = nullptr;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp_.c_str());
    return Status::IOError("rename to " + path_ + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace brix::storage
