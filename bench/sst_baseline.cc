// Baseline for the snapshot benchmark: what one core does with a plain RocksDB scan feeding a
// plain SstFileWriter, over the same data brix backs up (the nodes' RocksDB folders, opened
// read-only while the nodes run). No MVCC filtering beyond what the scan needs, no network, no
// checksums: the per-core limit a node's backup can approach.
// Usage: sst_baseline --out DIR [--compression zstd] DB_DIR...
#include <rocksdb/db.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "br/sst.h"
#include "cluster/mvcc.h"

int main(int argc, char** argv) {
  CLI::App app{"plain RocksDB scan + SstFileWriter baseline"};
  std::vector<std::string> dbs;
  std::string out, compression = "zstd";
  uint64_t cut = 96ull << 20;
  app.add_option("dbs", dbs, "RocksDB folders")->required();
  app.add_option("--out", out, "where to write SSTs")->required();
  app.add_option("--compression", compression);
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);
  auto start = std::chrono::steady_clock::now();
  uint64_t logical = 0, stored = 0, kvs = 0;
  int n = 0;
  for (const auto& path : dbs) {
    rocksdb::Options options;
    options.comparator = brix::cluster::MvccComparator();
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::OpenForReadOnly(options, path, &raw);
    if (!s.ok()) {
      std::fprintf(stderr, "open %s: %s\n", path.c_str(), s.ToString().c_str());
      return 1;
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    std::unique_ptr<brix::br::SstWriter> writer;
    uint64_t in_file = 0;
    auto finish = [&] {
      if (!writer) return;
      auto size = writer->Finish();
      if (size.ok()) stored += *size;
      writer.reset();
    };
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() < 9 || it->key()[0] != 't') continue;  // table rows only
      if (!writer) {
        auto w = brix::br::SstWriter::Create(out + "/" + std::to_string(n++) + ".sst", compression);
        if (!w.ok()) return 1;
        writer = std::move(*w);
        in_file = 0;
      }
      if (!writer
               ->Add(std::string_view(it->key().data(), it->key().size()),
                     std::string_view(it->value().data(), it->value().size()))
               .ok())
        return 1;
      uint64_t b = it->key().size() - 8 + it->value().size() - 1;
      logical += b;
      in_file += b;
      ++kvs;
      if (in_file >= cut) finish();
    }
    finish();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"kvs\":%llu,\"logical_bytes\":%llu,\"stored_bytes\":%llu,\"seconds\":%.3f}\n",
              static_cast<unsigned long long>(kvs), static_cast<unsigned long long>(logical),
              static_cast<unsigned long long>(stored), secs);
  return 0;
}
