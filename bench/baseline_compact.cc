// `compact`: the plain version of `brix log compact` over a local log location — every raw log
// file (*.log under it) read with the project's decoder (br/log/log_files.h), its versions
// grouped by table and sorted (br/log/compaction_plan.h) into one sorted run per (file, table),
// then per table a k-way merge of its runs with a heap, de-duplicated, into SstFileWriter files
// cut like brix cuts them. `--jobs` files, then tables, at a time. Local files only: no upload,
// no plan, no metas, no checksums, and no memory bound (every decoded run is held until its
// table is merged) — the yardstick for compaction throughput, not a design to copy.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>

#include "baselines.h"
#include "br/log/compaction_plan.h"
#include "br/log/log_files.h"
#include "br/sst.h"
#include "cluster/mvcc.h"
#include "common/durable_file.h"
#include "common/parallel.h"

namespace brix::bench {
namespace {

using Run = std::vector<br::CompactVersion>;

// Merges one table's sorted runs into SSTs under `out`; returns (kvs, stored bytes).
Result<std::pair<uint64_t, uint64_t>> MergeTable(int64_t table, std::vector<Run>& runs,
                                                 const std::string& out) {
  struct Head {
    const br::CompactVersion* v;
    size_t run, pos;
  };
  auto later = [](const Head& a, const Head& b) {  // heap top = smallest (key asc, ts desc)
    if (a.v->key != b.v->key) return a.v->key > b.v->key;
    return a.v->ts < b.v->ts;
  };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heap(later);
  for (size_t r = 0; r < runs.size(); ++r) {
    if (!runs[r].empty()) heap.push({&runs[r][0], r, 0});
  }
  std::unique_ptr<br::SstWriter> writer;
  uint64_t kvs = 0, stored = 0, in_sst = 0;
  int seq = 0;
  std::string last_key;
  uint64_t last_ts = 0;
  bool any = false;
  auto finish = [&]() -> Status {
    if (!writer) return Status::OK();
    BRIX_ASSIGN_OR_RETURN(uint64_t size, writer->Finish());
    writer.reset();
    stored += size;
    in_sst = 0;
    return Status::OK();
  };
  while (!heap.empty()) {
    Head h = heap.top();
    heap.pop();
    const br::CompactVersion& v = *h.v;
    if (h.pos + 1 < runs[h.run].size()) heap.push({&runs[h.run][h.pos + 1], h.run, h.pos + 1});
    if (any && v.key == last_key && v.ts == last_ts) continue;  // the same version twice
    if (writer && br::ShouldCutSst(in_sst, last_key, v.key)) BRIX_RETURN_IF_ERROR(finish());
    if (!writer) {
      BRIX_ASSIGN_OR_RETURN(writer, br::SstWriter::Create(out + "/" + std::to_string(table) + "_" +
                                                              std::to_string(seq++) + ".sst",
                                                          "zstd"));
    }
    BRIX_RETURN_IF_ERROR(
        writer->Add(cluster::EncodeMvccKey(v.key, v.ts),
                    cluster::EncodeMvccValue(
                        v.is_delete ? cluster::MvccOp::kDelete : cluster::MvccOp::kPut, v.value)));
    in_sst += v.key.size() + v.value.size();
    ++kvs;
    last_key = v.key;
    last_ts = v.ts;
    any = true;
  }
  BRIX_RETURN_IF_ERROR(finish());
  runs.clear();
  return std::make_pair(kvs, stored);
}

}  // namespace

void AddCompactCommand(CLI::App& app) {
  struct Args {
    std::string log, out;
    int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("compact", "k-way merge of a local log location's files into SSTs");
  c->add_option("log", a->log, "a local log backup folder")->required();
  c->add_option("--out", a->out, "where to write SSTs")->required();
  c->add_option("--jobs", a->jobs, "files / tables at a time (default: cores)");
  c->callback([a] {
    std::filesystem::create_directories(a->out);
    uint64_t input_bytes = 0;
    auto files = FilesUnder(a->log + "/v1", ".log", &input_bytes);
    std::mutex mu;
    std::map<int64_t, std::vector<Run>> runs;
    std::vector<std::unique_ptr<br::LogBatch>> batches;  // the runs' versions view into them
    uint64_t raw_bytes = 0;
    auto start = std::chrono::steady_clock::now();
    {
      TaskGroup group(a->jobs);
      for (const auto& f : files) {
        group.Submit([&, f]() -> Status {
          BRIX_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(f));
          BRIX_ASSIGN_OR_RETURN(br::LogBatch decoded, br::DecodeLogBatch(data));
          auto batch = std::make_unique<br::LogBatch>(std::move(decoded));
          uint64_t raw = batch->ByteSizeLong();
          std::map<int64_t, Run> tables;  // by table id; keys outside any table are dropped
          for (const auto& e : batch->entries()) {
            auto table = cluster::TableIdOf(e.key());
            if (!table) continue;
            tables[*table].push_back({e.key(), e.ts(), e.is_delete(), e.value()});
          }
          for (auto& [id, versions] : tables) br::SortVersions(&versions);
          std::lock_guard<std::mutex> lock(mu);
          batches.push_back(std::move(batch));
          raw_bytes += raw;
          for (auto& [id, versions] : tables) runs[id].push_back(std::move(versions));
          return Status::OK();
        });
      }
      CheckOrDie(group.Wait(), "read");
    }
    std::atomic<uint64_t> kvs{0}, stored{0};
    {
      TaskGroup group(a->jobs);
      for (auto& [id, table_runs] : runs) {
        group.Submit([&, id = id, rp = &table_runs]() -> Status {
          BRIX_ASSIGN_OR_RETURN(auto r, MergeTable(id, *rp, a->out));
          kvs += r.first;
          stored += r.second;
          return Status::OK();
        });
      }
      CheckOrDie(group.Wait(), "merge");
    }
    std::printf(
        "{\"jobs\":%d,\"input_files\":%zu,\"input_bytes\":%llu,\"raw_bytes\":%llu,\"tables\":%zu,"
        "\"kvs\":%llu,\"output_bytes\":%llu,\"seconds\":%.3f}\n",
        a->jobs, files.size(), static_cast<unsigned long long>(input_bytes),
        static_cast<unsigned long long>(raw_bytes), runs.size(),
        static_cast<unsigned long long>(kvs.load()), static_cast<unsigned long long>(stored.load()),
        SecondsSince(start));
  });
}

}  // namespace brix::bench
