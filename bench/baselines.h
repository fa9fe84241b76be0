// bench_baselines: the raw baselines bench/all.sh measures brix against, in the same run and on
// the same bytes (docs/performance.md). Each subcommand does the plain version of one brix job
// with the project's own libraries and no brix machinery, and prints one JSON line on stdout:
//   scan        N parallel RocksDB scans + SstFileWriter over the nodes' data
//   (baseline_snapshot.cc) ingest      copy + IngestExternalFile of a backup's SSTs into fresh dbs
//   (baseline_snapshot.cc) put         plain `curl` Put Blob of a folder's files, P at a time
//   (baseline_azure.cc) get-ingest  plain `curl` Get Blob of those blobs + IngestExternalFile
//   (baseline_azure.cc) compact     k-way merge of raw log files into SSTs (baseline_compact.cc)
// None of them is part of brix; they are the yardsticks, kept deliberately simple (no retries,
// no checksums of their own, no memory bound unless said).
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace brix::bench {

// Each registers one subcommand; its callback exits the process with 0, or 1 after printing
// the failure on stderr.
void AddScanCommand(CLI::App& app);
void AddIngestCommand(CLI::App& app);
void AddPutCommand(CLI::App& app);
void AddGetIngestCommand(CLI::App& app);
void AddCompactCommand(CLI::App& app);

// Exits 1 naming `what` unless `s` is OK.
void CheckOrDie(const Status& s, const std::string& what);

// Seconds since `start`.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Regular files under `dir` whose name ends with `suffix` ("" = all), sorted; `bytes` gets their
// total size.
std::vector<std::string> FilesUnder(const std::string& dir, const std::string& suffix,
                                    uint64_t* bytes);

// Ingests `ssts` (moved, so they must be copies) into `dbs` fresh MVCC RocksDB folders, file i
// into db i % dbs, `jobs` files at a time.
[[nodiscard]] Status IngestInto(const std::vector<std::string>& ssts, const std::string& db_root,
                                int dbs, int jobs);

}  // namespace brix::bench
