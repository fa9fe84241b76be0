#include "br/log/log_data_writer.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/wire_format_lite.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/crypto.h"
#include "common/random.h"
#include "common/stdio_file.h"

namespace brix::br {

namespace {

using google::protobuf::internal::WireFormatLite;

constexpr int kZstdLevel = 3;
// Every entry is field `entries` of LogBatch, length-delimited.
constexpr uint32_t kEntryTag = WireFormatLite::MakeTag(
    LogBatch::kEntriesFieldNumber,
    WireFormatLite::WIRETYPE_LENGTH_DELIMITED);  // the level docs/format/log.md names
                                                 // (EncodeLogBatch's)

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  return Status::IOError(what + " " + path + ": " + std::strerror(err));
}

}  // namespace

struct LogDataWriter::Raw {
  explicit Raw(int fd)
      : out(fd), coded(std::make_unique<google::protobuf::io::CodedOutputStream>(&out)) {}
  ~Raw() {
    coded.reset();
    if (!closed) out.Close();
  }
  // Flushes and closes; false on a write error (out.GetErrno() says which).
  bool Close() {
    coded.reset();  // hands its buffer to the file stream
    closed = true;
    return out.Close();
  }
  bool closed = false;
  google::protobuf::io::FileOutputStream out;
  std::unique_ptr<google::protobuf::io::CodedOutputStream> coded;
};

Result<std::unique_ptr<LogDataWriter>> LogDataWriter::Create(const std::string& dir) {
  std::string base = dir + "/" + NewUuid();
  std::string raw_path = base + ".raw";
  int fd = ::open(raw_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("create log scratch file", raw_path, errno);
  auto raw = std::make_unique<Raw>(fd);
  return std::unique_ptr<LogDataWriter>(
      new LogDataWriter(std::move(raw_path), base + ".zst", std::move(raw)));
}

LogDataWriter::LogDataWriter(std::string raw_path, std::string zst_path, std::unique_ptr<Raw> raw)
    : raw_path_(std::move(raw_path)), zst_path_(std::move(zst_path)), raw_(std::move(raw)) {}

LogDataWriter::~LogDataWriter() {
  raw_.reset();
  ::unlink(raw_path_.c_str());
  ::unlink(zst_path_.c_str());
}

Status LogDataWriter::Add(const LogEntry& entry) {
  if (!raw_ || !raw_->coded) return Status::Internal("log data writer: Add after Finish");
  scratch_.clear();
  if (!entry.SerializeToString(&scratch_)) return Status::Internal("serialize log entry");
  auto& coded = *raw_->coded;
  coded.WriteTag(kEntryTag);
  coded.WriteVarint32(static_cast<uint32_t>(scratch_.size()));
  coded.WriteRaw(scratch_.data(), static_cast<int>(scratch_.size()));
  if (coded.HadError()) {
    return ErrnoStatus("write log scratch file", raw_path_, raw_->out.GetErrno());
  }
  ++entries_;
  raw_size_ += google::protobuf::io::CodedOutputStream::VarintSize32(kEntryTag) +
               google::protobuf::io::CodedOutputStream::VarintSize32(
                   static_cast<uint32_t>(scratch_.size())) +
               scratch_.size();
  return Status::OK();
}

Result<LogDataWriter::Encoded> LogDataWriter::Finish() {
  if (!raw_ || !raw_->coded) return Status::Internal("log data writer: Finish twice");
  const bool failed = raw_->coded->HadError();
  const uint64_t written = static_cast<uint64_t>(raw_->coded->ByteCount());
  if (!raw_->Close() || failed) {
    return ErrnoStatus("write log scratch file", raw_path_, raw_->out.GetErrno());
  }
  raw_.reset();
  if (written != raw_size_) {
    return Status::Internal("log scratch file " + raw_path_ + ": " + std::to_string(written) +
                            " bytes written, " + std::to_string(raw_size_) + " counted");
  }

  StdioFile in(std::fopen(raw_path_.c_str(), "rbe"));
  if (!in) return ErrnoStatus("read log scratch file", raw_path_, errno);
  StdioFile out(std::fopen(zst_path_.c_str(), "wbe"));
  if (!out) return ErrnoStatus("create log scratch file", zst_path_, errno);
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) return Status::Internal("zstd: out of memory");
  // The frame records its content size: readers refuse a frame without it.
  for (size_t r : {ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kZstdLevel),
                   ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1),
                   ZSTD_CCtx_setPledgedSrcSize(cctx.get(), raw_size_)}) {
    if (ZSTD_isError(r)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(r));
  }
  std::vector<char> in_buf(ZSTD_CStreamInSize()), out_buf(ZSTD_CStreamOutSize());
  Sha256Hasher hasher;
  Encoded encoded;
  encoded.path = zst_path_;
  encoded.raw_size = raw_size_;
  uint64_t read_total = 0;
  bool last = false;
  while (!last) {
    size_t n = std::fread(in_buf.data(), 1, in_buf.size(), in.get());
    if (n < in_buf.size()) {
      if (std::ferror(in.get())) return ErrnoStatus("read log scratch file", raw_path_, errno);
      last = true;
    }
    read_total += n;
    ZSTD_inBuffer input{in_buf.data(), n, 0};
    const ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    bool done = false;
    while (!done) {
      ZSTD_outBuffer output{out_buf.data(), out_buf.size(), 0};
      size_t remaining = ZSTD_compressStream2(cctx.get(), &output, &input, mode);
      if (ZSTD_isError(remaining)) {
        return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(remaining));
      }
      if (output.pos > 0) {
        if (std::fwrite(out_buf.data(), 1, output.pos, out.get()) != output.pos) {
          return ErrnoStatus("write log scratch file", zst_path_, errno);
        }
        hasher.Update(std::string_view(out_buf.data(), output.pos));
        encoded.size += output.pos;
      }
      done = last ? remaining == 0 : input.pos == input.size;
    }
  }
  if (read_total != raw_size_) {
    return Status::IOError("log scratch file " + raw_path_ + " holds " +
                           std::to_string(read_total) + " bytes, " + std::to_string(raw_size_) +
                           " were written");
  }
  if (std::fflush(out.get()) != 0 || std::ferror(out.get())) {
    return ErrnoStatus("write log scratch file", zst_path_, errno);
  }
  encoded.sha256 = hasher.Finish();
  ::unlink(raw_path_.c_str());
  return encoded;
}

}  // namespace brix::br
