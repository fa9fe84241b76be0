// bench_scale_gen: the synthetic log location of bench/scale.sh, and the PITR planning step it
// times.
//
// gen: writes a local log location (docs/format/log.md) with the project's encoders
// (EncodeLogBatch, LogDataName, LogMetaName, SealMessage/SealMeta): v1/task, `--files` data files
// of `--entries` versions each, spread over `--tables` tables and `--stores` stores, one meta per
// `--files-per-meta` files (one flush of one store), and each store's global checkpoint. Files
// are written plainly (no fsync; a bench fixture, not a backup), `--jobs` at a time. Prints the
// location's ts range as JSON: {"start_ts", "checkpoint", "files", "metas", "bytes"}.
//
// plan: what `brix restore point` does before it touches the target, timed on its own (there is
// no dry-run): reads the log range, location, every log meta and compaction, then selects and
// orders the files a restore to --restored-ts after --snapshot-ts replays (SortForReplay).
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "br/log/compaction.h"
#include "br/log/log_files.h"
#include "br/log/replay_order.h"
#include "br/meta_seal.h"
#include "cluster/mvcc.h"
#include "common/crypto.h"
#include "common/parallel.h"
#include "common/random.h"
#include "common/time_util.h"
#include "common/tso.h"
#include "storage/open_storage.h"

using namespace brix;
namespace fs = std::filesystem;

namespace {

void CheckOrDie(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "bench_scale_gen %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

Status WriteFile(const std::string& root, const std::string& name, const std::string& data) {
  fs::path p = fs::path(root) / name;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Status::IOError("write " + p.string());
  return Status::OK();
}

struct GenArgs {
  std::string dir;
  int files = 100'000, files_per_meta = 10, tables = 10'000, stores = 3, entries = 20;
  int value_size = 64;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

void Gen(const GenArgs& a) {
  const uint64_t start_ts = ComposeTs(UnixMillis() - 3'600'000, 0);
  const int metas = (a.files + a.files_per_meta - 1) / a.files_per_meta;
  std::atomic<uint64_t> bytes{0}, checkpoint{start_ts};
  std::vector<uint64_t> store_ckpt(a.stores, start_ts);
  TaskGroup group(a.jobs);
  for (int m = 0; m < metas; ++m) {
    group.Submit([&, m]() -> Status {
      const uint64_t store = 1 + m % a.stores;
      // One flush per meta, 10 ms apart; versions lie in (previous flush, this flush].
      const uint64_t flush = start_ts + TsSpanMs(10) * (m + 1);
      br::LogMeta meta;
      meta.set_store_id(store);
      meta.set_flush_ts(flush);
      meta.set_task("scale");
      meta.set_min_ts(UINT64_MAX);
      std::string value(a.value_size, 'v');
      for (int f = m * a.files_per_meta; f < std::min(a.files, (m + 1) * a.files_per_meta); ++f) {
        br::LogBatch batch;
        for (int e = 0; e < a.entries; ++e) {
          auto* entry = batch.add_entries();
          int64_t table = 1 + (static_cast<int64_t>(f) * a.entries + e) % a.tables;
          entry->set_key(cluster::RowKey(table, "r" + std::to_string(f) + "_" + std::to_string(e)));
          entry->set_ts(flush - TsSpanMs(10) + 1 + e);
          entry->set_value(value);
        }
        size_t raw = 0;
        BRIX_ASSIGN_OR_RETURN(std::string data, br::EncodeLogBatch(batch, &raw));
        br::LogFile* lf = meta.add_files();
        lf->set_name(br::LogDataName(store, flush, NewUuid()));
        lf->set_sha256(Sha256(data));
        lf->set_size(data.size());
        lf->set_raw_size(raw);
        lf->set_min_ts(batch.entries(0).ts());
        lf->set_max_ts(batch.entries(a.entries - 1).ts());
        lf->set_kvs(static_cast<uint64_t>(a.entries));
        meta.set_min_ts(std::min(meta.min_ts(), lf->min_ts()));
        meta.set_max_ts(std::max(meta.max_ts(), lf->max_ts()));
        bytes += data.size();
        BRIX_RETURN_IF_ERROR(WriteFile(a.dir, lf->name(), data));
      }
      uint64_t seen = checkpoint.load();
      while (flush > seen && !checkpoint.compare_exchange_weak(seen, flush)) {
      }
      return WriteFile(a.dir, br::LogMetaName(store, flush, NewUuid()),
                       br::SealMessage(br::kMetaLogMeta, meta));
    });
  }
  CheckOrDie(group.Wait(), "gen");
  br::LogLocation loc;
  loc.set_task("scale");
  loc.set_start_ts(start_ts);
  loc.set_cluster_id(1);
  CheckOrDie(WriteFile(a.dir, br::kLogLocationName, br::SealMessage(br::kMetaLogLocation, loc)),
             "gen");
  for (int s = 1; s <= a.stores; ++s) {
    CheckOrDie(
        WriteFile(a.dir, std::string(br::kGlobalCheckpointPrefix) + std::to_string(s) + ".ts",
                  br::SealMeta(br::kMetaGlobalCheckpoint, std::to_string(checkpoint))),
        "gen");
  }
  std::printf("{\"start_ts\":%llu,\"checkpoint\":%llu,\"files\":%d,\"metas\":%d,\"bytes\":%llu}\n",
              static_cast<unsigned long long>(start_ts),
              static_cast<unsigned long long>(checkpoint.load()), a.files, metas,
              static_cast<unsigned long long>(bytes.load()));
}

void Plan(const std::string& url, uint64_t snapshot_ts, uint64_t restored_ts) {
  auto start = std::chrono::steady_clock::now();
  auto storage = storage::OpenStorage(url);
  CheckOrDie(storage.status(), "plan");
  auto range = br::ReadLogRange(**storage);
  CheckOrDie(range.status(), "plan");
  CheckOrDie(br::ReadLogLocation(**storage).status(), "plan");
  auto metas = br::ReadLogMetas(**storage);
  CheckOrDie(metas.status(), "plan");
  auto compactions = br::ReadCompactions(**storage);
  CheckOrDie(compactions.status(), "plan");
  if (restored_ts == 0) restored_ts = range->checkpoint;
  std::vector<br::LogFile> files;
  for (const auto& m : *metas) {
    for (const auto& f : m.files()) {
      if (f.max_ts() > snapshot_ts && f.min_ts() <= restored_ts) files.push_back(f);
    }
  }
  br::SortForReplay(files);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"metas\":%zu,\"files\":%zu,\"compactions\":%zu,\"seconds\":%.3f}\n", metas->size(),
              files.size(), compactions->size(), secs);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synthetic log location for bench/scale.sh"};
  app.require_subcommand(1);
  GenArgs g;
  auto* gen = app.add_subcommand("gen", "write a synthetic log location into a local folder");
  gen->add_option("--dir", g.dir, "the folder (local:// location)")->required();
  gen->add_option("--files", g.files)->capture_default_str();
  gen->add_option("--files-per-meta", g.files_per_meta)->capture_default_str();
  gen->add_option("--tables", g.tables)->capture_default_str();
  gen->add_option("--stores", g.stores)->capture_default_str();
  gen->add_option("--entries", g.entries, "versions per file")->capture_default_str();
  gen->add_option("--value-size", g.value_size)->capture_default_str();
  gen->add_option("--jobs", g.jobs, "files written at a time (default: cores)");
  gen->callback([&] { Gen(g); });
  std::string url;
  uint64_t snapshot_ts = 0, restored_ts = 0;
  auto* plan = app.add_subcommand("plan", "time PITR planning of a log location");
  plan->add_option("--storage", url, "the log location")->required();
  plan->add_option("--snapshot-ts", snapshot_ts, "files with versions after it (default 0)");
  plan->add_option("--restored-ts", restored_ts, "default: the global checkpoint");
  plan->callback([&] { Plan(url, snapshot_ts, restored_ts); });
  CLI11_PARSE(app, argc, argv);
  return 0;
}
