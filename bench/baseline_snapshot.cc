// `scan` and `ingest`: the plain RocksDB halves of a snapshot backup and restore.
//
// scan: what the machine's cores do with plain RocksDB scans feeding plain SstFileWriters over
// the same data brix backs up (the nodes' RocksDB folders, opened read-only while the nodes run).
// Work units are (db, table) pairs, `--jobs` at a time (default: every core); every version of
// every table row is written (the bench loads each row once, so that is what a backup holds). No
// MVCC filtering, no network, no checksums: the limit a backup of this data could approach here.
//
// ingest: what a restore would cost without brix: copy each SST of a backup folder into the
// staging folder of one of `--dbs` fresh RocksDB dbs (MVCC comparator, like a kvnode) and
// IngestExternalFile it (moved), `--jobs` at a time.
#include <rocksdb/db.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "baselines.h"
#include "br/sst.h"
#include "cluster/mvcc.h"
#include "common/parallel.h"

namespace brix::bench {
namespace fs = std::filesystem;

namespace {

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  return Status::IOError(what + ": " + s.ToString());
}

int Cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// The table ids present in `db` (each found by one seek past the previous table).
std::vector<int64_t> TablesOf(rocksdb::DB& db) {
  std::vector<int64_t> ids;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro));
  std::string next(1, cluster::kTablePrefix);
  for (it->Seek(cluster::EncodeMvccKey(next, UINT64_MAX)); it->Valid();) {
    std::string_view user;
    uint64_t ts = 0;
    std::string_view key(it->key().data(), it->key().size());
    if (!cluster::DecodeMvccKey(key, &user, &ts)) break;
    auto id = cluster::TableIdOf(user);
    if (!id) break;
    ids.push_back(*id);
    it->Seek(cluster::EncodeMvccKey(cluster::TablePrefix(*id + 1), UINT64_MAX));
  }
  return ids;
}

struct Totals {
  std::atomic<uint64_t> kvs{0}, logical{0}, stored{0}, files{0};
};

// Scans one table of `db` into SSTs of at most `cut` logical bytes under `out`.
Status ScanTable(rocksdb::DB& db, int64_t table, const std::string& out, uint64_t cut,
                 const std::string& compression, Totals& totals) {
  std::string lower = cluster::EncodeMvccKey(cluster::TablePrefix(table), UINT64_MAX);
  std::string upper = cluster::EncodeMvccKey(cluster::TablePrefix(table + 1), UINT64_MAX);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro));
  std::unique_ptr<br::SstWriter> writer;
  uint64_t in_file = 0;
  int n = 0;
  auto finish = [&]() -> Status {
    if (!writer) return Status::OK();
    auto size = writer->Finish();
    writer.reset();
    if (!size.ok()) return size.status();
    totals.stored += *size;
    ++totals.files;
    return Status::OK();
  };
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (!writer) {
      auto w = br::SstWriter::Create(
          out + "/" + std::to_string(table) + "_" + std::to_string(n++) + ".sst", compression);
      if (!w.ok()) return w.status();
      writer = std::move(*w);
      in_file = 0;
    }
    std::string_view k(it->key().data(), it->key().size()),
        v(it->value().data(), it->value().size());
    BRIX_RETURN_IF_ERROR(writer->Add(k, v));
    uint64_t b = k.size() - 8 + v.size() - 1;  // user key + value, as brix counts logical bytes
    totals.logical += b;
    ++totals.kvs;
    in_file += b;
    if (in_file >= cut) BRIX_RETURN_IF_ERROR(finish());
  }
  BRIX_RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
  return finish();
}

}  // namespace

void AddScanCommand(CLI::App& app) {
  struct Args {
    std::vector<std::string> dbs;
    std::string out, compression = "zstd";
    int jobs = Cores();
    uint64_t cut = 96ull << 20;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("scan", "N parallel RocksDB scans + SstFileWriter of DB folders");
  c->add_option("dbs", a->dbs, "RocksDB folders (opened read-only)")->required();
  c->add_option("--out", a->out, "where to write SSTs")->required();
  c->add_option("--compression", a->compression)->capture_default_str();
  c->add_option("--jobs", a->jobs, "tables scanned at a time (default: cores)");
  c->add_option("--cut-bytes", a->cut, "logical bytes per SST")->capture_default_str();
  c->callback([a] {
    fs::create_directories(a->out);
    std::vector<std::unique_ptr<rocksdb::DB>> dbs;
    std::vector<std::pair<rocksdb::DB*, int64_t>> units;
    for (const auto& path : a->dbs) {
      rocksdb::Options options;
      options.comparator = cluster::MvccComparator();
      rocksdb::DB* raw = nullptr;
      CheckOrDie(FromRocks(rocksdb::DB::OpenForReadOnly(options, path, &raw), "open " + path),
                 "scan");
      dbs.emplace_back(raw);
      for (int64_t t : TablesOf(*raw)) units.emplace_back(raw, t);
    }
    Totals totals;
    auto start = std::chrono::steady_clock::now();
    TaskGroup group(a->jobs);
    int i = 0;
    for (auto [db, table] : units) {
      std::string out = a->out + "/" + std::to_string(i++);
      group.Submit([db, table, out, a, &totals] {
        fs::create_directories(out);
        return ScanTable(*db, table, out, a->cut, a->compression, totals);
      });
    }
    CheckOrDie(group.Wait(), "scan");
    double secs = SecondsSince(start);
    std::printf(
        "{\"jobs\":%d,\"units\":%zu,\"kvs\":%llu,\"logical_bytes\":%llu,\"stored_bytes\":%llu,"
        "\"files\":%llu,\"seconds\":%.3f}\n",
        a->jobs, units.size(), static_cast<unsigned long long>(totals.kvs.load()),
        static_cast<unsigned long long>(totals.logical.load()),
        static_cast<unsigned long long>(totals.stored.load()),
        static_cast<unsigned long long>(totals.files.load()), secs);
  });
}

Status IngestInto(const std::vector<std::string>& ssts, const std::string& db_root, int dbs,
                  int jobs) {
  std::vector<std::unique_ptr<rocksdb::DB>> open;
  for (int d = 0; d < dbs; ++d) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.comparator = cluster::MvccComparator();
    options.compression = rocksdb::kLZ4Compression;  // as a kvnode's store
    rocksdb::DB* raw = nullptr;
    std::string path = db_root + "/db" + std::to_string(d);
    BRIX_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, path, &raw), "open " + path));
    open.emplace_back(raw);
  }
  TaskGroup group(jobs);
  for (size_t i = 0; i < ssts.size(); ++i) {
    rocksdb::DB* db = open[i % open.size()].get();
    std::string path = ssts[i];
    group.Submit([db, path] {
      rocksdb::IngestExternalFileOptions opts;
      opts.move_files = true;
      return FromRocks(db->IngestExternalFile({path}, opts), "ingest " + path);
    });
  }
  return group.Wait();
}

void AddIngestCommand(CLI::App& app) {
  struct Args {
    std::string backup, work;
    int jobs = Cores(), dbs = 3;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("ingest", "copy + IngestExternalFile of a backup's SSTs");
  c->add_option("backup", a->backup, "a local backup folder (its *.sst files)")->required();
  c->add_option("--work", a->work, "folder for the staged copies and the fresh dbs")->required();
  c->add_option("--jobs", a->jobs, "files at a time (default: cores)");
  c->add_option("--dbs", a->dbs, "fresh dbs (one per node)")->capture_default_str();
  c->callback([a] {
    uint64_t bytes = 0;
    auto ssts = FilesUnder(a->backup, ".sst", &bytes);
    fs::create_directories(a->work + "/staged");
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> staged(ssts.size());
    {
      TaskGroup copies(a->jobs);
      for (size_t i = 0; i < ssts.size(); ++i) {
        staged[i] = a->work + "/staged/" + std::to_string(i) + ".sst";
        copies.Submit([&, i] {
          std::error_code ec;
          fs::copy_file(ssts[i], staged[i], ec);
          if (ec) return Status::IOError("copy " + ssts[i] + ": " + ec.message());
          return Status::OK();
        });
      }
      CheckOrDie(copies.Wait(), "ingest");
    }
    CheckOrDie(IngestInto(staged, a->work, a->dbs, a->jobs), "ingest");
    double secs = SecondsSince(start);
    std::printf("{\"jobs\":%d,\"files\":%zu,\"stored_bytes\":%llu,\"seconds\":%.3f}\n", a->jobs,
                ssts.size(), static_cast<unsigned long long>(bytes), secs);
  });
}

}  // namespace brix::bench
