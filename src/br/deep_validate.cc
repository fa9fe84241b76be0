#include "br/deep_validate.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "br/log/compaction.h"
#include "br/log/log_files.h"
#include "br/meta_seal.h"
#include "br/restore_plan.h"
#include "br/snapshot/backup_meta.h"
#include "br/verify_files.h"
#include "common/parallel.h"
#include "common/scratch_dir.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

std::string Ts(uint64_t ts) { return std::to_string(ts); }

// One run: the report under a lock, the progress, the scratch folder.
class Run {
 public:
  Run(const DeepValidateOptions& o, const ProgressFn& progress)
      : options_(o), progress_(progress) {}

  void Problem(std::string file, std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    report_.problems.push_back({std::move(file), std::move(what)});
  }
  // Counts one file read; its problem (if any) under `name`.
  void Checked(const std::string& name, const FileCheck& c) {
    std::lock_guard<std::mutex> lock(mu_);
    ++report_.files;
    report_.bytes += c.bytes;
    report_.kvs += c.entries;
    if (!c.ok()) report_.problems.push_back({name, c.problem});
    if (progress_) progress_({"validate", report_.files, total_, report_.bytes});
  }
  void AddTotal(uint64_t n) { total_ += n; }
  DeepValidateReport& report() { return report_; }
  const std::string& scratch() const { return scratch_.path(); }
  int concurrency() const { return std::max(1, options_.concurrency); }

 private:
  const DeepValidateOptions& options_;
  const ProgressFn& progress_;
  std::mutex mu_;
  DeepValidateReport report_;
  uint64_t total_ = 0;
  ScratchDir scratch_{"validate"};
};

// ---------- snapshot ----------

void CheckSnapshot(Run& run, storage::ExternalStorage& storage, const BackupMeta& meta,
                   TaskGroup& group, std::map<int64_t, cluster::KvChecksum>& per_table,
                   std::mutex& mu) {
  const bool full = meta.start_version() == 0;
  for (const auto& f : meta.files()) {
    // The tasks run after this function returns (the caller waits on `group`): locals are
    // copied into them, never referenced.
    group.Submit([&run, &storage, &per_table, &mu, f, full]() -> Status {
      EntryCheck check = [&f](const cluster::MvccEntry& e) -> std::string {
        auto table = cluster::TableIdOf(e.user_key);
        if (!table || *table != f.table_id()) {
          return "holds a key outside its table " + std::to_string(f.table_id());
        }
        if (f.end_version() != 0 &&
            (e.commit_ts <= f.start_version() || e.commit_ts > f.end_version())) {
          return "holds a version at ts " + Ts(e.commit_ts) + " outside (" + Ts(f.start_version()) +
                 ", " + Ts(f.end_version()) + "]";
        }
        return "";
      };
      BRIX_ASSIGN_OR_RETURN(FileCheck c, CheckSstObject(storage, f, full, run.scratch(), check));
      run.Checked(f.name(), c);
      if (c.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        per_table[f.table_id()].Merge(c.sum);
      }
      return Status::OK();
    });
  }
}

// Each table's files add up to its recorded checksum (a full backup's tables carry one).
void CheckTables(Run& run, const BackupMeta& meta,
                 std::map<int64_t, cluster::KvChecksum>& per_table) {
  if (meta.start_version() != 0) return;
  for (const auto& t : meta.tables()) {
    if (!t.has_checksum()) continue;
    cluster::KvChecksum want{t.total_kvs(), t.total_bytes(), t.crc64xor()};
    if (!(per_table[t.id()] == want)) {
      run.Problem("table " + t.db() + "." + t.name(),
                  "its files add up to " + per_table[t.id()].ToString() + ", the backupmeta says " +
                      want.ToString());
    }
  }
}

// ---------- log chain ----------

struct LogInputs {
  LogLocation loc;
  std::vector<std::pair<std::string, LogMeta>> metas;              // object name, meta
  std::map<uint64_t, uint64_t> checkpoints;                        // store → its object's ts
  std::vector<std::pair<std::string, LogCompaction>> compactions;  // compaction.meta name
  std::set<std::string> named;                                     // data files metas name
};

// Reads every metadata object of the location; a damaged one is a problem, not an error.
Result<LogInputs> ReadLogInputs(Run& run, storage::ExternalStorage& storage) {
  LogInputs in;
  auto loc = ReadLogLocation(storage);
  if (loc.status().IsNotFound()) return loc.status();
  if (!loc.ok()) {
    run.Problem(kLogLocationName, loc.status().message());
  } else {
    in.loc = *loc;
  }
  BRIX_ASSIGN_OR_RETURN(auto objects, storage.ListAll(kLogMetaPrefix));
  std::vector<std::optional<LogMeta>> metas(objects.size());
  {
    TaskGroup group(16);
    for (size_t i = 0; i < objects.size(); ++i) {
      group.Submit([&, i]() -> Status {
        auto data = storage.Get(objects[i].name);
        if (data.status().IsNotFound()) return Status::OK();  // truncated meanwhile
        if (!data.ok()) {
          run.Problem(objects[i].name, "cannot read: " + data.status().ToString());
          return Status::OK();
        }
        LogMeta m;
        Status s = UnsealMessage(kMetaLogMeta, objects[i].name, *data, &m);
        if (!s.ok()) {
          run.Problem(objects[i].name, s.message());
        } else {
          metas[i] = std::move(m);
        }
        return Status::OK();
      });
    }
    BRIX_RETURN_IF_ERROR(group.Wait());
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    if (!metas[i]) continue;
    for (const auto& f : metas[i]->files()) in.named.insert(f.name());
    in.metas.emplace_back(objects[i].name, std::move(*metas[i]));
  }
  BRIX_ASSIGN_OR_RETURN(auto ckpts, storage.ListAll(kGlobalCheckpointPrefix));
  for (const auto& o : ckpts) {
    std::string_view id(o.name);
    id.remove_prefix(std::string_view(kGlobalCheckpointPrefix).size());
    uint64_t store = 0, ts = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), store);
    if (ec != std::errc() || std::string_view(end, id.data() + id.size() - end) != ".ts") continue;
    auto data = storage.Get(o.name);
    if (!data.ok()) {
      run.Problem(o.name, "cannot read: " + data.status().ToString());
      continue;
    }
    auto text = UnsealMeta(kMetaGlobalCheckpoint, o.name, *data);
    if (!text.ok()) {
      run.Problem(o.name, text.status().message());
      continue;
    }
    auto [tend, tec] = std::from_chars(text->data(), text->data() + text->size(), ts);
    if (tec != std::errc() || tend != text->data() + text->size()) {
      run.Problem(o.name, "'" + *text + "' is not a ts");
      continue;
    }
    in.checkpoints[store] = ts;
  }
  BRIX_ASSIGN_OR_RETURN(auto cobjects, storage.ListAll(kCompactionPrefix));
  for (const auto& o : cobjects) {
    if (!o.name.ends_with(std::string("/") + kCompactionMetaName)) continue;
    LogCompaction c;
    Status s = GetMeta(storage, kMetaCompaction, o.name, &c);
    if (!s.ok()) {
      run.Problem(o.name, s.message());
      continue;
    }
    in.compactions.emplace_back(o.name, std::move(c));
  }
  return in;
}

// What the metas claim, before reading any data: ts ranges and the store checkpoints.
void CheckLogMetadata(Run& run, const LogInputs& in) {
  std::map<uint64_t, uint64_t> metas_of;  // store → metas
  for (const auto& [name, m] : in.metas) {
    ++metas_of[m.store_id()];
    // No bound by flush_ts: a flush also carries buffered writes committed after it resolved.
    for (const auto& f : m.files()) {
      if (f.min_ts() < m.min_ts() || f.max_ts() > m.max_ts() || f.min_ts() > f.max_ts()) {
        run.Problem(name, "file " + f.name() + " claims ts [" + Ts(f.min_ts()) + ", " +
                              Ts(f.max_ts()) + "] outside the meta's [" + Ts(m.min_ts()) + ", " +
                              Ts(m.max_ts()) + "]");
      }
    }
  }
  for (const auto& [store, n] : metas_of) {
    if (in.checkpoints.count(store)) continue;
    run.Problem(std::string(kGlobalCheckpointPrefix) + std::to_string(store) + ".ts",
                "missing: store " + std::to_string(store) + " wrote " + std::to_string(n) +
                    " meta(s) but its checkpoint is not there");
  }
  for (const auto& [name, c] : in.compactions) {
    if (in.loc.truncated_until() != 0) break;  // truncation drops inputs from metas legitimately
    for (const auto& input : c.input_files()) {
      if (!in.named.count(input)) {
        run.Problem(name, "its input " + input + " is named by no meta");
        break;
      }
    }
  }
}

void CheckLogData(Run& run, storage::ExternalStorage& storage, const LogInputs& in,
                  TaskGroup& group) {
  for (const auto& [name, m] : in.metas) {
    for (const auto& f : m.files()) {
      group.Submit([&run, &storage, f]() -> Status {
        run.Checked(f.name(), CheckLogDataObject(storage, f));
        return Status::OK();
      });
    }
  }
  for (const auto& [name, c] : in.compactions) {
    for (const auto& sub : c.subcompactions()) {
      uint64_t kvs = 0;
      for (const auto& sst : sub.ssts()) kvs += sst.total_kvs();
      if (kvs != sub.kvs()) {
        run.Problem(name, "subcompaction of table " + std::to_string(sub.table_id()) + " claims " +
                              std::to_string(sub.kvs()) + " kvs, its SSTs " + std::to_string(kvs));
      }
      for (const auto& sst : sub.ssts()) {
        group.Submit([&run, &storage, sub, sst]() -> Status {
          EntryCheck check = [&](const cluster::MvccEntry& e) -> std::string {
            auto table = cluster::TableIdOf(e.user_key);
            if (!table || *table != sub.table_id() || *table != sst.table_id()) {
              return "holds a key outside table " + std::to_string(sub.table_id());
            }
            if (e.user_key < sub.range_start() ||
                (!sub.range_end().empty() && e.user_key >= sub.range_end()) ||
                e.user_key < sst.start_key() || e.user_key >= sst.end_key()) {
              return "holds a key outside the range its compaction meta records";
            }
            if (e.commit_ts <= sst.start_version() || e.commit_ts > sst.end_version() ||
                e.commit_ts < sub.input_min_ts() || e.commit_ts > sub.input_max_ts()) {
              return "holds a version at ts " + Ts(e.commit_ts) + " outside (" +
                     Ts(sst.start_version()) + ", " + Ts(sst.end_version()) + "]";
            }
            return "";
          };
          BRIX_ASSIGN_OR_RETURN(
              FileCheck c, CheckSstObject(storage, sst, /*snapshot=*/false, run.scratch(), check));
          run.Checked(sst.name(), c);
          return Status::OK();
        });
      }
    }
  }
}

uint64_t FilesOf(const LogInputs& in) {
  uint64_t n = 0;
  for (const auto& [name, m] : in.metas) n += m.files_size();
  for (const auto& [name, c] : in.compactions) {
    for (const auto& sub : c.subcompactions()) n += sub.ssts_size();
  }
  return n;
}

// Data files no meta names: a crashed flush leaves them, so does a meta deleted whole.
Result<uint64_t> UnnamedLogFiles(storage::ExternalStorage& storage, const LogInputs& in) {
  BRIX_ASSIGN_OR_RETURN(auto objects, storage.ListAll("v1/"));
  uint64_t n = 0;
  for (const auto& o : objects) {
    if (o.name.ends_with(".log") && !o.name.starts_with(kCompactionPrefix) &&
        !in.named.count(o.name)) {
      ++n;
    }
  }
  return n;
}

}  // namespace

Result<DeepValidateReport> DeepValidate(const DeepValidateOptions& o, const ProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  Run run(o, progress);
  DeepValidateReport& report = run.report();
  BRIX_ASSIGN_OR_RETURN(auto first, storage::OpenStorage(o.storage_url, o.env));
  std::unique_ptr<storage::ExternalStorage> log;
  std::optional<BackupMeta> snapshot;
  auto meta = ReadBackupMeta(*first);
  if (meta.ok()) {
    snapshot = std::move(*meta);
  } else if (!meta.status().IsNotFound()) {
    run.Problem(kBackupMetaName, meta.status().message());
  }
  if (!o.log_storage_url.empty()) {
    BRIX_ASSIGN_OR_RETURN(log, storage::OpenStorage(o.log_storage_url, o.env));
    if (meta.status().IsNotFound()) return meta.status();
    report.snapshot = first->Describe();
  } else if (meta.status().IsNotFound()) {
    log = std::move(first);  // a log location on its own
  } else {
    report.snapshot = first->Describe();
  }

  std::optional<LogInputs> chain;
  if (log) {
    report.log = log->Describe();
    auto in = ReadLogInputs(run, *log);
    if (!in.ok()) {
      if (in.status().IsNotFound() && o.log_storage_url.empty()) {
        return Status::NotFound("no backupmeta and no log backup (v1/task) at " + report.log);
      }
      return in.status();
    }
    chain = std::move(*in);
    CheckLogMetadata(run, *chain);
    run.AddTotal(FilesOf(*chain));
  }
  if (snapshot) {
    report.snapshot_ts = snapshot->end_version();
    run.AddTotal(snapshot->files_size());
  }

  std::map<int64_t, cluster::KvChecksum> per_table;
  std::mutex per_table_mu;
  {
    TaskGroup group(run.concurrency());
    if (snapshot) CheckSnapshot(run, *first, *snapshot, group, per_table, per_table_mu);
    if (chain) CheckLogData(run, *log, *chain, group);
    BRIX_RETURN_IF_ERROR(group.Wait());
  }
  if (snapshot) CheckTables(run, *snapshot, per_table);

  if (chain) {
    BRIX_ASSIGN_OR_RETURN(report.unnamed_log_files, UnnamedLogFiles(*log, *chain));
    LogRange range;
    range.min_ts = std::max(chain->loc.start_ts(), chain->loc.truncated_until());
    range.checkpoint = chain->loc.start_ts();
    for (const auto& [store, ts] : chain->checkpoints) {
      range.checkpoint = std::max(range.checkpoint, ts);
    }
    uint64_t from = range.min_ts;
    if (snapshot) {
      if (range.checkpoint < snapshot->end_version()) {
        run.Problem(kGlobalCheckpointPrefix, "the log's checkpoint " + Ts(range.checkpoint) +
                                                 " has not reached the snapshot ts " +
                                                 Ts(snapshot->end_version()));
      } else if (Status bounds = CheckPitrBounds(*snapshot, range, chain->loc, range.checkpoint);
                 !bounds.ok()) {
        run.Problem(kLogLocationName, bounds.message());
      }
      from = std::max(from, snapshot->end_version());
    }
    if (from <= range.checkpoint) {
      report.window_from = from;
      report.window_until = range.checkpoint;
    }
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::sort(report.problems.begin(), report.problems.end(),
            [](const ValidateProblem& a, const ValidateProblem& b) {
              return std::tie(a.file, a.what) < std::tie(b.file, b.what);
            });
  return std::move(report);
}

}  // namespace brix::br
