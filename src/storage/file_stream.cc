#include "storage/file_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/crypto.h"
#include "common/durable_file.h"

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

Result<std::unique_ptr<FileSource>> FileSource::OpenHandedOver(const std::string& path) {
  BRIX_ASSIGN_OR_RETURN(auto source, Open(path));
  source->handed_over_ = true;
  return source;
}

FileSource::~FileSource() {
  if (file_ != stdin) std::fclose(file_);
}

Status FileSource::Rewind() {
  if (!size_) return Status::NotSupported("cannot rewind " + path_ + ": not a regular file");
  if (std::fseek(file_, 0, SEEK_SET) != 0) {
    return Status::IOError("rewind " + path_ + ": " + std::strerror(errno));
  }
  return Status::OK();
}

int FileSource::NativeFile() const { return size_ ? fileno(file_) : -1; }

Result<size_t> FileSource::Read(char* buf, size_t n) {
  size_t got = std::fread(buf, 1, n, file_);
  if (got < n && std::ferror(file_)) return Status::IOError("read " + path_ + " failed");
  return got;
}

Result<std::unique_ptr<FileSink>> FileSink::Create(const std::string& path) {
  if (path == "-") return std::unique_ptr<FileSink>(new FileSink(std::nullopt));
  BRIX_ASSIGN_OR_RETURN(auto file, DurableFile::Create(path));
  return std::unique_ptr<FileSink>(new FileSink(std::move(file)));
}

Status FileSink::Write(std::string_view data) {
  if (file_.has_value()) return file_->Append(data);
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size()) {
    return Status::IOError(std::string("write standard output: ") + std::strerror(errno));
  }
  return Status::OK();
}

Status FileSink::Finish() {
  if (file_.has_value()) return file_->Commit();
  if (std::fflush(stdout) != 0) return Status::IOError("flush standard output failed");
  return Status::OK();
}

Result<std::string> Sha256OfFile(const ByteSource& source,
                                 const std::function<void(size_t)>& before_piece) {
  if (!source.Size() || source.NativeFile() < 0) {
    return Status::Internal("SHA-256 of a file: the source is not a regular file");
  }
  Sha256Hasher hasher;
  BRIX_RETURN_IF_ERROR(ScanFileBytes(source.NativeFile(), 0, *source.Size(), "the file to hash",
                                     [&](std::string_view piece) {
                                       if (before_piece) before_piece(piece.size());
                                       hasher.Update(piece);
                                       return Status::OK();
                                     }));
  return hasher.Finish();
}

}  // namespace brix::storage
