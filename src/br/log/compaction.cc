#include "br/log/compaction.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "br/location.h"
#include "br/log/compaction_plan.h"
#include "br/log/log_files.h"
#include "br/meta_seal.h"
#include "br/sst.h"
#include "cluster/mvcc.h"
#include "common/crc64.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/parallel.h"
#include "common/random.h"
#include "common/time_util.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

std::string DirOf(const CompactOptions& o) { return CompactionDir(o.name, o.from_ts, o.until_ts); }

using Version = CompactVersion;

// Sorts, de-duplicates and writes one table's versions as SSTs; uploads them.
Result<Subcompaction> CompactTable(storage::ExternalStorage& storage, const std::string& dir,
                                   int64_t table_id, std::vector<Version>& versions) {
  SortVersions(&versions);
  Subcompaction sub;
  sub.set_table_id(table_id);
  sub.set_input_min_ts(UINT64_MAX);
  std::string tmp = (fs::temp_directory_path() / ("brix-compact-" + NewUuid())).string();
  fs::create_directories(tmp);
  std::unique_ptr<SstWriter> writer;
  std::string path;
  BackupFile file;
  cluster::KvChecksum sum;
  std::string last_key;
  int seq = 0;
  auto finish = [&]() -> Status {
    if (!writer) return Status::OK();
    BRIX_ASSIGN_OR_RETURN(uint64_t size, writer->Finish());
    writer.reset();
    std::string data;
    {
      std::ifstream in(path, std::ios::binary);
      data.assign(std::istreambuf_iterator<char>(in), {});
    }
    fs::remove(path);
    std::string name = dir + "outputs/" + std::to_string(table_id) + "_" + std::to_string(seq++) +
                       "_" + NewUuid() + ".sst";
    BRIX_RETURN_IF_ERROR(storage.Put(name, data));
    std::string end = last_key;
    end.push_back('\0');
    file.set_name(name);
    file.set_start_version(file.start_version() - 1);  // (start, end], as backup files say it
    file.set_sha256(Sha256(data));
    file.set_end_key(end);
    file.set_size(size);
    file.set_crc64xor(sum.crc64xor);
    file.set_total_kvs(sum.kvs);
    file.set_total_bytes(sum.bytes);
    file.set_table_id(table_id);
    file.set_compression("zstd");
    *sub.add_ssts() = file;
    file.Clear();
    sum = {};
    return Status::OK();
  };
  const Version* prev = nullptr;
  for (const auto& v : versions) {
    if (prev && IsSameVersion(*prev, v)) {  // the same version twice (re-scan)
      sub.set_duplicates(sub.duplicates() + 1);
      continue;
    }
    if (writer && ShouldCutSst(sum.bytes, last_key, v.key)) BRIX_RETURN_IF_ERROR(finish());
    if (!writer) {
      path = tmp + "/" + NewUuid() + ".sst";
      BRIX_ASSIGN_OR_RETURN(writer, SstWriter::Create(path, "zstd"));
      file.set_start_key(v.key);
      file.set_start_version(v.ts);
    }
    std::string encoded = cluster::EncodeMvccKey(v.key, v.ts);
    std::string stored = cluster::EncodeMvccValue(
        v.is_delete ? cluster::MvccOp::kDelete : cluster::MvccOp::kPut, v.value);
    BRIX_RETURN_IF_ERROR(writer->Add(encoded, stored));
    cluster::MvccEntry e;
    e.encoded_key = encoded;
    e.stored_value = stored;
    AddEntryChecksum(e, /*snapshot=*/false, &sum);
    file.set_start_version(std::min(file.start_version(), v.ts));
    file.set_end_version(std::max(file.end_version(), v.ts));
    sub.set_input_min_ts(std::min(sub.input_min_ts(), v.ts));
    sub.set_input_max_ts(std::max(sub.input_max_ts(), v.ts));
    sub.set_kvs(sub.kvs() + 1);
    last_key = v.key;
    prev = &v;
  }
  Status s = finish();
  fs::remove_all(tmp);
  BRIX_RETURN_IF_ERROR(s);
  return sub;
}

// The plan of this compaction: the one an earlier attempt wrote, or a new one made from the log
// metas (READ_META) and written before any output.
Result<CompactionPlan> LoadOrMakePlan(storage::ExternalStorage& storage, const CompactOptions& o,
                                      const std::string& dir, CompactProgress& p,
                                      const std::function<void()>& report) {
  const std::string name = dir + kCompactionPlanName;
  CompactionPlan plan;
  Status loaded = GetMeta(storage, kMetaCompactionPlan, name, &plan);
  if (loaded.IsNotFound()) {
    BRIX_ASSIGN_OR_RETURN(auto metas, ReadLogMetas(storage));
    p.meta_total = metas.size();
    std::vector<LogFile> inputs = SelectCompactionInputs(metas, o.from_ts, o.until_ts);
    for (size_t i = 0; i < metas.size(); ++i) {  // READ_META: one step per meta read
      ++p.meta_completed;
      report();
    }
    plan.set_name(o.name);
    plan.set_from_ts(o.from_ts);
    plan.set_until_ts(o.until_ts);
    for (auto& f : inputs) *plan.add_inputs() = std::move(f);
    plan.set_created_unix_ms(UnixMillis());
    loaded = PutMeta(storage, kMetaCompactionPlan, name, plan, {.if_absent = true});
    // Another attempt wrote its plan first: that one is the plan.
    if (loaded.IsAlreadyExists()) loaded = GetMeta(storage, kMetaCompactionPlan, name, &plan);
  } else if (loaded.ok()) {
    p.meta_total = p.meta_completed = 1;  // the plan is the only meta read
  }
  BRIX_RETURN_IF_ERROR(loaded);
  if (plan.name() != o.name || plan.from_ts() != o.from_ts || plan.until_ts() != o.until_ts) {
    return Status::Corruption(std::string(kMetaCompactionPlan) + " " + name + " at " +
                              storage.Describe() + " is for '" + plan.name() + "' [" +
                              std::to_string(plan.from_ts()) + ", " +
                              std::to_string(plan.until_ts()) + "], not this compaction");
  }
  for (const auto& f : plan.inputs()) {
    p.bytes_to_compact += f.size();
    p.input_max_ts = std::max(p.input_max_ts, f.max_ts());
  }
  report();
  return plan;
}

}  // namespace

std::string CompactProgressJson(const CompactProgress& p) {
  return "{\"meta_completed\":" + std::to_string(p.meta_completed) +
         ",\"meta_total\":" + std::to_string(p.meta_total) +
         ",\"bytes_compacted\":" + std::to_string(p.bytes_compacted) +
         ",\"bytes_to_compact\":" + std::to_string(p.bytes_to_compact) +
         ",\"input_max_ts\":" + std::to_string(p.input_max_ts) + ",\"progress\":\"[READ_META(" +
         std::to_string(p.meta_completed) + "/" + std::to_string(p.meta_total) + "),COMPACT_WORK(" +
         std::to_string(p.work_completed) + "/" + std::to_string(p.work_total) + ")]\"}";
}

Result<LogCompaction> CompactLog(const CompactOptions& o, const CompactProgressFn& progress) {
  if (o.until_ts < o.from_ts) {
    return Status::InvalidArgument("--until " + std::to_string(o.until_ts) + " is before --from " +
                                   std::to_string(o.from_ts));
  }
  if (o.concurrency <= 0) return Status::InvalidArgument("--concurrency must be positive");
  if (o.name.empty() || o.name.find('/') != std::string::npos) {
    return Status::InvalidArgument("--name '" + o.name + "': must be non-empty, without '/'");
  }
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(o.storage_url, o.env));
  BRIX_ASSIGN_OR_RETURN(LogRange range, ReadLogRange(*storage));
  if (o.until_ts > range.checkpoint) {
    return Status::InvalidArgument(
        "--until " + std::to_string(o.until_ts) + " is past the global checkpoint " +
        std::to_string(range.checkpoint) +
        ": versions of the window may still be arriving; wait, or compact up to the checkpoint");
  }
  BRIX_RETURN_IF_ERROR(CheckLocationIsFree(o.storage_url, o.env, LocationKind::kLog));
  const std::string dir = DirOf(o);
  CompactProgress p;
  auto report = [&] {
    if (progress) progress(p);
  };
  LogCompaction c;
  if (Status done = GetMeta(*storage, kMetaCompaction, dir + kCompactionMetaName, &c);
      !done.IsNotFound()) {
    BRIX_RETURN_IF_ERROR(done);
    return c;  // finished earlier: nothing to do
  }

  // READ_META, or the plan of an earlier attempt.
  BRIX_ASSIGN_OR_RETURN(CompactionPlan plan, LoadOrMakePlan(*storage, o, dir, p, report));
  std::vector<LogFile> inputs(plan.inputs().begin(), plan.inputs().end());

  // Which tables an earlier attempt of this plan finished.
  std::map<int64_t, Subcompaction> finished;
  BRIX_ASSIGN_OR_RETURN(auto cmetas, storage->ListAll(dir + "metas/"));
  for (const auto& m : cmetas) {
    Subcompaction sub;
    BRIX_RETURN_IF_ERROR(GetMeta(*storage, kMetaSubcompaction, m.name, &sub));
    finished[sub.table_id()] = sub;
  }

  std::set<int64_t> finished_tables;
  for (const auto& [table, sub] : finished) finished_tables.insert(table);

  // Load every input (verified) and bucket its versions by table.
  std::map<int64_t, std::vector<Version>> by_table;
  std::mutex mu;
  std::atomic<uint64_t> loaded{0};
  {
    TaskGroup group(o.concurrency);
    for (const auto& f : inputs) {
      group.Submit([&, f]() -> Status {
        BRIX_ASSIGN_OR_RETURN(std::string data, storage->Get(f.name()));
        if (Sha256(data) != f.sha256()) {
          return Status::Corruption("log file " + f.name() + ": SHA-256 does not match its meta");
        }
        BRIX_ASSIGN_OR_RETURN(LogBatch batch, DecodeLogBatch(data));
        auto local = GroupVersionsByTable(batch, finished_tables);
        std::lock_guard<std::mutex> lock(mu);
        for (auto& [t, list] : local) {
          auto& dst = by_table[t];
          dst.insert(dst.end(), std::make_move_iterator(list.begin()),
                     std::make_move_iterator(list.end()));
        }
        loaded += f.size();
        return Status::OK();
      });
    }
    BRIX_RETURN_IF_ERROR(group.Wait());
  }

  // COMPACT_WORK: one subcompaction per table.
  p.work_total = by_table.size() + finished.size();
  p.work_completed = finished.size();
  report();
  {
    TaskGroup group(o.concurrency);
    for (auto& [table, versions] : by_table) {
      group.Submit([&, table = table, &versions = versions]() -> Status {
        BRIX_ASSIGN_OR_RETURN(Subcompaction sub, CompactTable(*storage, dir, table, versions));
        BRIX_RETURN_IF_ERROR(PutMeta(*storage, kMetaSubcompaction,
                                     dir + "metas/" + std::to_string(table) + ".cmeta", sub));
        std::vector<Version>().swap(versions);
        std::lock_guard<std::mutex> lock(mu);
        finished[table] = sub;
        ++p.work_completed;
        p.bytes_compacted =
            BytesCompactedEstimate(p.bytes_to_compact, p.work_completed, p.work_total);
        report();
        return Status::OK();
      });
    }
    BRIX_RETURN_IF_ERROR(group.Wait());
  }
  p.bytes_compacted = p.bytes_to_compact;

  c.set_name(o.name);
  c.set_from_ts(o.from_ts);
  c.set_until_ts(o.until_ts);
  c.set_input_min_ts(UINT64_MAX);
  for (const auto& f : inputs) {
    c.add_input_files(f.name());
    c.set_input_min_ts(std::min(c.input_min_ts(), f.min_ts()));
    c.set_input_max_ts(std::max(c.input_max_ts(), f.max_ts()));
    c.set_input_bytes(c.input_bytes() + f.size());
  }
  if (inputs.empty()) c.set_input_min_ts(0);
  for (auto& [table, sub] : finished) *c.add_subcompactions() = sub;
  c.set_created_unix_ms(UnixMillis());
  BRIX_RETURN_IF_ERROR(PutMeta(*storage, kMetaCompaction, dir + kCompactionMetaName, c));
  report();
  return c;
}

Result<std::vector<LogCompaction>> ReadCompactions(storage::ExternalStorage& storage) {
  BRIX_ASSIGN_OR_RETURN(auto objects, storage.ListAll(kCompactionPrefix));
  std::vector<LogCompaction> out;
  for (const auto& o : objects) {
    if (!o.name.ends_with(std::string("/") + kCompactionMetaName)) continue;
    LogCompaction c;
    BRIX_RETURN_IF_ERROR(GetMeta(storage, kMetaCompaction, o.name, &c));
    out.push_back(std::move(c));
  }
  return out;
}

Result<uint64_t> DeleteCompactionsBelow(storage::ExternalStorage& storage, uint64_t until) {
  BRIX_ASSIGN_OR_RETURN(auto objects, storage.ListAll(kCompactionPrefix));
  uint64_t removed = 0;
  for (const auto& o : objects) {
    if (!o.name.ends_with(std::string("/") + kCompactionMetaName)) continue;
    LogCompaction c;
    BRIX_RETURN_IF_ERROR(GetMeta(storage, kMetaCompaction, o.name, &c));
    if (c.input_files_size() == 0 || c.input_max_ts() >= until) continue;
    std::string dir = o.name.substr(0, o.name.size() - std::string(kCompactionMetaName).size());
    BRIX_RETURN_IF_ERROR(storage.Delete(o.name));
    BRIX_RETURN_IF_ERROR(storage.DeletePrefix(dir).status());
    ++removed;
  }
  return removed;
}

}  // namespace brix::br
