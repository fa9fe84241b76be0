#include "cluster/node/mvcc_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "cluster/node/ts_range_properties.h"
#include "cluster/write_id.h"

namespace brix::cluster {
namespace {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  std::string msg = "rocksdb " + std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsNotFound()) return Status::NotFound(msg);
  return Status::IOError(msg);
}

// The user key and commit ts of the iterator's current entry.
Status DecodeKeyAt(const rocksdb::Iterator& it, std::string_view* user_key, uint64_t* commit_ts) {
  if (!DecodeMvccKey(std::string_view(it.key().data(), it.key().size()), user_key, commit_ts)) {
    return Status::Corruption("short mvcc key");
  }
  return Status::OK();
}

// The op and value of the iterator's current entry.
Status DecodeValueAt(const rocksdb::Iterator& it, MvccOp* op, std::string_view* value) {
  if (!DecodeMvccValue(std::string_view(it.value().data(), it.value().size()), op, value)) {
    return Status::Corruption("bad mvcc value");
  }
  return Status::OK();
}

bool BeforeEnd(std::string_view user_key, std::string_view end) {
  return end.empty() || user_key < end;
}

const std::string kWriteIdsFamily = "write_ids";

rocksdb::Slice Slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

MvccStore::~MvccStore() {
  if (db_) {
    for (auto* cf : {write_ids_cf_, default_cf_}) {
      if (cf) db_->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
    }
  }
}

Result<std::unique_ptr<MvccStore>> MvccStore::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;  // stores made before write ids existed
  options.comparator = MvccComparator();
  options.compression = rocksdb::kLZ4Compression;
  options.IncreaseParallelism(2);
  options.table_properties_collector_factories.push_back(NewTsRangeCollectorFactory());
  rocksdb::ColumnFamilyOptions ids_options;  // bytewise: ids sort by the ts they start with
  ids_options.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options)},
      {kWriteIdsFamily, ids_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  BRIX_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(rocksdb::DBOptions(options), path, families, &handles, &raw),
                "open " + path));
  std::unique_ptr<MvccStore> store(new MvccStore());
  store->db_.reset(raw);
  store->default_cf_ = handles[0];
  store->write_ids_cf_ = handles[1];
  return store;
}

Status MvccStore::Write(const std::vector<MvccMutation>& mutations, uint64_t commit_ts,
                        std::string_view write_id, std::string_view drop_ids_below) {
  rocksdb::WriteBatch batch;
  for (const auto& m : mutations) {
    batch.Put(EncodeMvccKey(m.key, commit_ts), EncodeMvccValue(m.op, m.value));
  }
  if (!write_id.empty()) {
    BRIX_RETURN_IF_ERROR(
        FromRocks(batch.Put(write_ids_cf_, Slice(write_id), EncodeWriteIdRecord(commit_ts)),
                  "record write id"));
  }
  if (!drop_ids_below.empty()) {
    BRIX_RETURN_IF_ERROR(
        FromRocks(batch.DeleteRange(write_ids_cf_, rocksdb::Slice(), Slice(drop_ids_below)),
                  "drop old write ids"));
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;  // acknowledged means durable
  return FromRocks(db_->Write(wo, &batch), "write");
}

Result<std::optional<uint64_t>> MvccStore::CommittedWriteTs(std::string_view write_id) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), write_ids_cf_, Slice(write_id), &value);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  BRIX_RETURN_IF_ERROR(FromRocks(s, "read write id"));
  auto ts = DecodeWriteIdRecord(value);
  if (!ts)
    return Status::Corruption("write id record of " + std::to_string(value.size()) + " bytes");
  return std::optional<uint64_t>(*ts);
}

Result<std::optional<std::string>> MvccStore::Get(std::string_view key, uint64_t ts) {
  bool more = false;
  std::string end(key);
  end.push_back('\0');
  BRIX_ASSIGN_OR_RETURN(auto rows, Scan(key, end, ts, 1, &more));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(rows[0].second));
}

Result<std::vector<std::pair<std::string, std::string>>> MvccStore::Scan(std::string_view start,
                                                                         std::string_view end,
                                                                         uint64_t ts, size_t limit,
                                                                         bool* more) {
  std::vector<std::pair<std::string, std::string>> out;
  *more = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  // The smallest encoded key of `start` is its version with ts = max (suffix ~max = 0).
  it->Seek(EncodeMvccKey(start, UINT64_MAX));
  while (it->Valid()) {
    std::string_view user_key;
    uint64_t commit_ts;
    BRIX_RETURN_IF_ERROR(DecodeKeyAt(*it, &user_key, &commit_ts));
    if (!BeforeEnd(user_key, end)) break;
    if (commit_ts > ts) {  // too new: move to this key's next version
      it->Next();
      continue;
    }
    MvccOp op;
    std::string_view value;
    BRIX_RETURN_IF_ERROR(DecodeValueAt(*it, &op, &value));
    std::string key_copy(user_key);
    if (op == MvccOp::kPut) {
      if (out.size() == limit) {
        *more = true;
        break;
      }
      out.emplace_back(key_copy, std::string(value));
    }
    // Skip this key's older versions: ts = 0 sorts after all of them.
    it->Seek(EncodeMvccKey(key_copy, 0));
  }
  BRIX_RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
  return out;
}

Result<std::vector<MvccVersion>> MvccStore::ScanVersions(std::string_view start,
                                                         std::string_view end, uint64_t from_ts,
                                                         uint64_t to_ts, size_t limit, bool* more) {
  std::vector<MvccVersion> out;
  *more = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(EncodeMvccKey(start, UINT64_MAX)); it->Valid(); it->Next()) {
    std::string_view user_key;
    uint64_t commit_ts;
    BRIX_RETURN_IF_ERROR(DecodeKeyAt(*it, &user_key, &commit_ts));
    if (!BeforeEnd(user_key, end)) break;
    if (commit_ts > to_ts || commit_ts <= from_ts) continue;
    MvccOp op;
    std::string_view value;
    BRIX_RETURN_IF_ERROR(DecodeValueAt(*it, &op, &value));
    if (out.size() == limit) {
      *more = true;
      break;
    }
    out.push_back({std::string(user_key), commit_ts, op, std::string(value)});
  }
  BRIX_RETURN_IF_ERROR(FromRocks(it->status(), "scan versions"));
  return out;
}

Status MvccStore::Visit(std::string_view start, std::string_view end, uint64_t from_ts,
                        uint64_t to_ts, VisitMode mode,
                        const std::function<bool(const MvccEntry&)>& visit) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a bulk scan would evict what foreground reads need
  // Files that hold no version this visit returns are not opened (a snapshot visits every
  // version ≤ to_ts; a window only the ones after from_ts).
  const uint64_t after = mode == VisitMode::kAllVersions ? from_ts : 0;
  ro.table_filter = [after, to_ts](const rocksdb::TableProperties& props) {
    return TableMayHoldTs(props, after, to_ts);
  };
  std::string upper;
  rocksdb::Slice upper_slice;
  if (!end.empty()) {
    upper = EncodeMvccKey(end, UINT64_MAX);  // the first entry of `end`
    upper_slice = upper;
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  std::string done_key;  // kNewestLive: the key whose visible version was already decided
  bool have_done = false;
  for (it->Seek(EncodeMvccKey(start, UINT64_MAX)); it->Valid(); it->Next()) {
    MvccEntry e;
    e.encoded_key = std::string_view(it->key().data(), it->key().size());
    e.stored_value = std::string_view(it->value().data(), it->value().size());
    if (!DecodeMvccKey(e.encoded_key, &e.user_key, &e.commit_ts))
      return Status::Corruption("short mvcc key");
    if (!DecodeMvccValue(e.stored_value, &e.op, &e.value))
      return Status::Corruption("bad mvcc value");
    if (mode == VisitMode::kAllVersions) {
      if (e.commit_ts > to_ts || e.commit_ts <= from_ts) continue;
    } else {
      if (e.commit_ts > to_ts) continue;
      if (have_done && e.user_key == done_key) continue;  // an older version of a decided key
      done_key.assign(e.user_key);
      have_done = true;
      if (e.op != MvccOp::kPut) continue;
    }
    if (!visit(e)) break;
  }
  return FromRocks(it->status(), "visit");
}

Status MvccStore::WriteVersions(const std::vector<MvccVersion>& versions) {
  rocksdb::WriteBatch batch;
  for (const auto& v : versions) {
    batch.Put(EncodeMvccKey(v.key, v.commit_ts), EncodeMvccValue(v.op, v.value));
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db_->Write(wo, &batch), "write versions");
}

Status MvccStore::Ingest(const std::vector<std::string>& sst_paths) {
  if (sst_paths.empty()) return Status::OK();
  rocksdb::IngestExternalFileOptions opts;
  opts.move_files = true;
  rocksdb::Status batch = db_->IngestExternalFile(sst_paths, opts);
  if (batch.ok() || sst_paths.size() == 1) return FromRocks(batch, "ingest");
  // Files whose ranges overlap each other (compacted log SSTs of two compactions) cannot go in
  // one call; one at a time they can. A failed call ingests nothing, so nothing is doubled.
  for (const auto& path : sst_paths) {
    BRIX_RETURN_IF_ERROR(FromRocks(db_->IngestExternalFile({path}, opts), "ingest " + path));
  }
  return Status::OK();
}

Result<uint64_t> MvccStore::Gc(uint64_t safepoint) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  rocksdb::WriteBatch batch;
  uint64_t removed = 0;
  std::string current;
  bool have_current = false, kept_base = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view user_key;
    uint64_t commit_ts;
    std::string_view encoded(it->key().data(), it->key().size());
    if (!DecodeMvccKey(encoded, &user_key, &commit_ts)) continue;
    if (!have_current || user_key != current) {
      // Flush only between keys: a crash must never drop a delete marker but keep the older
      // versions it hides (they would come back to life).
      if (batch.Count() >= 10000) {
        BRIX_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "gc"));
        batch.Clear();
      }
      current.assign(user_key);
      have_current = true;
      kept_base = false;
    }
    if (commit_ts > safepoint) continue;  // still visible to reads above the safepoint
    if (!kept_base) {
      kept_base = true;  // the newest version ≤ safepoint: what reads at the safepoint see
      if (!it->value().empty() && it->value()[0] == 'D') {
        batch.Delete(encoded);  // a delete hides nothing anyone can still read
        ++removed;
      }
      continue;
    }
    batch.Delete(encoded);
    ++removed;
  }
  BRIX_RETURN_IF_ERROR(FromRocks(it->status(), "gc scan"));
  if (batch.Count() > 0) {
    BRIX_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "gc"));
  }
  return removed;
}

}  // namespace brix::cluster
