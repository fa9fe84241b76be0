#include "br/log/compaction.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include "br/location.h"
#include "br/log/compaction_plan.h"
#include "br/log/compaction_runs.h"
#include "br/log/log_files.h"
#include "br/meta_seal.h"
#include "br/sst.h"
#include "cluster/mvcc.h"
#include "common/crc64.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/parallel.h"
#include "common/random.h"
#include "common/scratch_dir.h"
#include "common/time_util.h"
#include "storage/file_stream.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

std::string DirOf(const CompactOptions& o) { return CompactionDir(o.name, o.from_ts, o.until_ts); }

// Writes the merged versions of one range as SSTs cut at kCompactionSstCutBytes between user
// keys, each uploaded (streamed from its local file) as soon as it is finished.
class RangeOutput {
 public:
  RangeOutput(storage::ExternalStorage& storage, const std::string& dir, const std::string& tmp,
              const CompactRange& range)
      : storage_(storage), dir_(dir), tmp_(tmp), range_(range) {
    sub_.set_table_id(range.table_id);
    sub_.set_range_start(range.start);
    sub_.set_range_end(range.end);
    sub_.set_input_min_ts(UINT64_MAX);
  }

  Status Add(const MergedVersion& v) {
    if (writer_ && ShouldCutSst(sum_.bytes, last_key_, v.user_key)) BRIX_RETURN_IF_ERROR(Finish());
    if (!writer_) {
      path_ = tmp_ + "/" + NewUuid() + ".sst";
      BRIX_ASSIGN_OR_RETURN(writer_, SstWriter::Create(path_, "zstd"));
      file_.set_start_key(std::string(v.user_key));
      file_.set_start_version(v.ts);
    }
    BRIX_RETURN_IF_ERROR(writer_->Add(v.encoded_key, v.stored_value));
    cluster::MvccEntry e;
    e.encoded_key = v.encoded_key;
    e.stored_value = v.stored_value;
    AddEntryChecksum(e, /*snapshot=*/false, &sum_);
    file_.set_start_version(std::min(file_.start_version(), v.ts));
    file_.set_end_version(std::max(file_.end_version(), v.ts));
    sub_.set_input_min_ts(std::min(sub_.input_min_ts(), v.ts));
    sub_.set_input_max_ts(std::max(sub_.input_max_ts(), v.ts));
    sub_.set_kvs(sub_.kvs() + 1);
    last_key_.assign(v.user_key);
    return Status::OK();
  }

  // Finishes and uploads the last SST; the range's Subcompaction.
  Result<Subcompaction> Done(uint64_t duplicates) {
    BRIX_RETURN_IF_ERROR(Finish());
    sub_.set_duplicates(duplicates);
    if (sub_.kvs() == 0) sub_.set_input_min_ts(0);
    return sub_;
  }

 private:
  Status Finish() {
    if (!writer_) return Status::OK();
    BRIX_ASSIGN_OR_RETURN(uint64_t size, writer_->Finish());
    writer_.reset();
    // Handed over: removed once uploaded, never written again (a local location links it).
    BRIX_ASSIGN_OR_RETURN(auto source, storage::FileSource::OpenHandedOver(path_));
    BRIX_ASSIGN_OR_RETURN(std::string sha, Sha256OfFile(*source));
    std::string name = dir_ + "outputs/" + std::to_string(range_.table_id) + "_" +
                       std::to_string(range_.index) + "_" + std::to_string(seq_++) + "_" +
                       NewUuid() + ".sst";
    BRIX_RETURN_IF_ERROR(source->Rewind());
    BRIX_RETURN_IF_ERROR(storage_.PutStream(name, *source));
    source.reset();
    fs::remove(path_);
    std::string end = last_key_;
    end.push_back('\0');
    file_.set_name(name);
    file_.set_start_version(file_.start_version() - 1);  // (start, end], as backup files say it
    file_.set_sha256(sha);
    file_.set_end_key(end);
    file_.set_size(size);
    file_.set_crc64xor(sum_.crc64xor);
    file_.set_total_kvs(sum_.kvs);
    file_.set_total_bytes(sum_.bytes);
    file_.set_table_id(range_.table_id);
    file_.set_compression("zstd");
    *sub_.add_ssts() = file_;
    file_.Clear();
    sum_ = {};
    return Status::OK();
  }

  storage::ExternalStorage& storage_;
  const std::string& dir_;
  const std::string& tmp_;
  const CompactRange& range_;
  Subcompaction sub_;
  std::unique_ptr<SstWriter> writer_;
  std::string path_;
  BackupFile file_;
  cluster::KvChecksum sum_;
  std::string last_key_;
  int seq_ = 0;
};

std::string UnitMetaName(const std::string& dir, const CompactRange& r) {
  return dir + "metas/" + std::to_string(r.table_id) + "_" + std::to_string(r.index) + ".cmeta";
}

// Downloads (verified) and sorts the plan's inputs into local runs, `RunWorkers` at a time.
Result<std::vector<SortedRun>> SortInputs(storage::ExternalStorage& storage,
                                          const std::vector<LogFile>& inputs,
                                          const std::string& tmp, int concurrency) {
  std::vector<std::vector<size_t>> groups = GroupRunInputs(inputs);
  uint64_t largest = 0;
  for (const auto& g : groups) {
    uint64_t raw = 0;
    for (size_t i : g) raw += inputs[i].raw_size();
    largest = std::max(largest, raw);
  }
  std::vector<SortedRun> runs(groups.size());
  TaskGroup group(RunWorkers(concurrency, largest));
  for (size_t r = 0; r < groups.size(); ++r) {
    group.Submit([&, r]() -> Status {
      // The versions are views into the run's decompressed files, kept until it is written.
      LogFileReader reader;
      std::vector<RawLogFile> files;
      std::vector<CompactVersion> versions;
      for (size_t i : groups[r]) {
        const LogFile& f = inputs[i];
        BRIX_ASSIGN_OR_RETURN(files.emplace_back(), reader.ReadRaw(storage, f));
        Status s = ForEachLogEntryView(files.back().bytes(), [&](const LogEntryView& e) {
          if (cluster::TableIdOf(e.key)) {  // catalog entries are not compacted
            versions.push_back({e.key, e.ts, e.is_delete, e.value});
          }
          return Status::OK();
        });
        BRIX_RETURN_IF_ERROR(s.WithContext("log file " + f.name()));
      }
      BRIX_ASSIGN_OR_RETURN(runs[r], WriteSortedRun(&versions, tmp + "/run-" + std::to_string(r)));
      return Status::OK();
    });
  }
  BRIX_RETURN_IF_ERROR(group.Wait());
  return runs;
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

  // The ranges an earlier attempt of this plan finished (metas of another range layout, e.g.
  // brix's one-per-table metas, match no range and are not reused).
  std::map<std::string, Subcompaction> finished;  // by meta name
  BRIX_ASSIGN_OR_RETURN(auto cmetas, storage->ListAll(dir + "metas/"));
  for (const auto& m : cmetas) {
    Subcompaction sub;
    BRIX_RETURN_IF_ERROR(GetMeta(*storage, kMetaSubcompaction, m.name, &sub));
    finished[m.name] = std::move(sub);
  }

  // Download and sort the inputs into local runs, then cut the key space into ranges.
  ScratchDir tmp("compact");
  BRIX_ASSIGN_OR_RETURN(std::vector<SortedRun> runs,
                        SortInputs(*storage, inputs, tmp.path(), o.concurrency));
  std::vector<RangeSample> samples;
  for (const auto& run : runs) {
    for (const auto& s : run.samples) samples.push_back(s.sample);
  }
  std::vector<CompactRange> ranges = PlanRanges(std::move(samples));
  std::vector<Subcompaction> subs(ranges.size());
  std::vector<bool> done(ranges.size(), false);
  for (size_t i = 0; i < ranges.size(); ++i) {
    auto it = finished.find(UnitMetaName(dir, ranges[i]));
    if (it != finished.end() && it->second.table_id() == ranges[i].table_id &&
        it->second.range_start() == ranges[i].start && it->second.range_end() == ranges[i].end) {
      subs[i] = it->second;
      done[i] = true;
      ++p.work_completed;
    }
  }

  // COMPACT_WORK: one k-way merge per range, `concurrency` at once.
  std::mutex mu;
  p.work_total = ranges.size();
  report();
  {
    TaskGroup group(o.concurrency);
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (done[i]) continue;
      group.Submit([&, i]() -> Status {
        RangeOutput out(*storage, dir, tmp.path(), ranges[i]);
        uint64_t duplicates = 0;
        BRIX_RETURN_IF_ERROR(MergeRuns(
            runs, ranges[i], [&](const MergedVersion& v) { return out.Add(v); }, &duplicates));
        BRIX_ASSIGN_OR_RETURN(subs[i], out.Done(duplicates));
        BRIX_RETURN_IF_ERROR(
            PutMeta(*storage, kMetaSubcompaction, UnitMetaName(dir, ranges[i]), subs[i]));
        std::lock_guard<std::mutex> lock(mu);
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
  for (auto& sub : subs) {
    if (sub.kvs() > 0) *c.add_subcompactions() = std::move(sub);
  }
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
