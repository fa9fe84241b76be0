#include "br/sst.h"

#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>

#include "common/durable_file.h"

namespace brix::br {
namespace {

rocksdb::Options SstOptions(std::string_view compression) {
  rocksdb::Options o;
  o.comparator = cluster::MvccComparator();
  o.compression = compression == "zstd"  ? rocksdb::kZSTD
                  : compression == "lz4" ? rocksdb::kLZ4Compression
                                         : rocksdb::kNoCompression;
  return o;
}

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

}  // namespace

Status CheckCompression(std::string_view compression, std::string_view field) {
  if (compression == "zstd" || compression == "lz4" || compression == "none") return Status::OK();
  return Status::InvalidArgument(std::string(field) + ": unknown compression '" +
                                 std::string(compression) +
                                 "' (accepted: " + std::string(kCompressionValues) + ")");
}

void AddEntryChecksum(const cluster::MvccEntry& e, bool snapshot, cluster::KvChecksum* sum) {
  if (snapshot) {
    sum->Add(e.user_key, e.value);
  } else {
    sum->Add(e.encoded_key, e.stored_value);
  }
}

SstWriter::~SstWriter() = default;

Result<std::unique_ptr<SstWriter>> SstWriter::Create(const std::string& path,
                                                     std::string_view compression) {
  BRIX_RETURN_IF_ERROR(CheckCompression(compression, "compression"));
  std::unique_ptr<SstWriter> w(new SstWriter());
  // Every SST written here is fsynced later (ingested, or made an object of a local location):
  // its bytes go to the disk as it is written, not all at that fsync.
  rocksdb::EnvOptions env;
  env.bytes_per_sync = kWritebackStepBytes;
  w->writer_ = std::make_unique<rocksdb::SstFileWriter>(env, SstOptions(compression));
  BRIX_RETURN_IF_ERROR(FromRocks(w->writer_->Open(path), "open sst " + path));
  return w;
}

Status SstWriter::Add(std::string_view encoded_key, std::string_view stored_value) {
  ++entries_;
  return FromRocks(writer_->Put(rocksdb::Slice(encoded_key.data(), encoded_key.size()),
                                rocksdb::Slice(stored_value.data(), stored_value.size())),
                   "sst put");
}

Result<uint64_t> SstWriter::Finish() {
  rocksdb::ExternalSstFileInfo info;
  BRIX_RETURN_IF_ERROR(FromRocks(writer_->Finish(&info), "sst finish"));
  return info.file_size;
}

Status ReadSst(const std::string& path,
               const std::function<bool(const cluster::MvccEntry&)>& visit) {
  rocksdb::SstFileReader reader(SstOptions("none"));
  BRIX_RETURN_IF_ERROR(FromRocks(reader.Open(path), "open sst " + path));
  BRIX_RETURN_IF_ERROR(FromRocks(reader.VerifyChecksum(), "sst " + path));
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    cluster::MvccEntry e;
    e.encoded_key = std::string_view(it->key().data(), it->key().size());
    e.stored_value = std::string_view(it->value().data(), it->value().size());
    if (!cluster::DecodeMvccKey(e.encoded_key, &e.user_key, &e.commit_ts) ||
        !cluster::DecodeMvccValue(e.stored_value, &e.op, &e.value)) {
      return Status::Corruption("sst " + path + ": entry is not MVCC-encoded");
    }
    if (!visit(e)) break;
  }
  return FromRocks(it->status(), "sst " + path);
}

}  // namespace brix::br
