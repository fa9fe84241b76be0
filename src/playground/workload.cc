#include "playground/workload.h"

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "cluster/catalog.h"
#include "cluster/oracle.h"
#include "common/parallel.h"

namespace brix::playground {
namespace {

std::string BigEndian(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) s[7 - i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string RandomValue(std::mt19937_64& rng, size_t n) {
  std::string v(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t x = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) v[i + j] = static_cast<char>(x >> (8 * j));
  }
  return v;
}

Result<cluster::TableRef> EnsureTable(cluster::KvClient& kv, const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(auto parts, cluster::ParseTableName(name, "--table"));
  auto created = cluster::CreateTable(kv, parts.first, parts.second);
  if (created.ok() || !created.status().IsAlreadyExists()) return created;
  BRIX_ASSIGN_OR_RETURN(uint64_t now, kv.pd()->GetTs());
  return cluster::FindTable(kv, parts.first, parts.second, now);
}

}  // namespace

Status RunLoad(cluster::KvClient& kv, const LoadArgs& args) {
  auto start = std::chrono::steady_clock::now();
  std::atomic<uint64_t> written{0};
  for (const auto& name : args.tables) {
    BRIX_ASSIGN_OR_RETURN(cluster::TableRef table, EnsureTable(kv, name));
    TaskGroup group(args.threads);
    const uint64_t per_thread = (args.rows + args.threads - 1) / args.threads;
    for (int t = 0; t < args.threads; ++t) {
      uint64_t begin = t * per_thread, end = std::min(args.rows, begin + per_thread);
      if (begin >= end) break;
      group.Submit([&, begin, end, t]() -> Status {
        std::mt19937_64 rng(args.seed * 1000003 + static_cast<uint64_t>(table.id) * 131 + t);
        for (uint64_t row = begin; row < end;) {
          std::vector<cluster::KvMutation> batch;
          for (; row < end && batch.size() < args.batch; ++row) {
            batch.push_back({cluster::RowKey(table.id, BigEndian(row)), false,
                             RandomValue(rng, args.value_size)});
          }
          size_t n = batch.size();
          BRIX_RETURN_IF_ERROR(kv.Write(std::move(batch)).status());
          written += n;
        }
        return Status::OK();
      });
    }
    BRIX_RETURN_IF_ERROR(group.Wait());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double mib = static_cast<double>(written.load()) * (args.value_size + 19) / (1 << 20);
  std::printf("loaded %llu rows in %.2f s (%.0f rows/s, %.1f MiB/s)\n",
              static_cast<unsigned long long>(written.load()), secs, written.load() / secs,
              mib / secs);
  return Status::OK();
}

Status RunWorkload(cluster::KvClient& kv, const WorkloadArgs& args) {
  BRIX_ASSIGN_OR_RETURN(auto oracle, cluster::OracleWriter::Create(args.oracle));
  std::vector<cluster::TableRef> tables;
  for (const auto& name : args.tables) {
    BRIX_ASSIGN_OR_RETURN(cluster::TableRef t, EnsureTable(kv, name));
    tables.push_back(t);
  }
  // The starting state of each table, as a checksum: the workload only touches keys of its own
  // ("w" + thread + counter), so start checksum + recorded writes give the state at any ts.
  BRIX_ASSIGN_OR_RETURN(uint64_t base_ts, kv.pd()->GetTs());
  for (const auto& t : tables) {
    BRIX_ASSIGN_OR_RETURN(auto filter, TableFilter::Parse({t.FullName()}));
    BRIX_ASSIGN_OR_RETURN(auto sums, cluster::ChecksumTables(kv, base_ts, filter));
    oracle->Base(t.FullName(), t.id, base_ts, sums[t.FullName()]);
  }
  auto deadline = std::chrono::steady_clock::now() + args.duration;
  std::atomic<uint64_t> ops{0}, failures{0};
  TaskGroup group(args.threads);
  for (int t = 0; t < args.threads; ++t) {
    group.Submit([&, t]() -> Status {
      std::mt19937_64 rng(args.seed * 7919 + t);
      std::vector<std::vector<std::string>> live(tables.size());  // this thread's live keys
      uint64_t counter = 0;
      auto next_op_at = std::chrono::steady_clock::now();
      const auto spacing = args.rate > 0 ? std::chrono::duration<double>(args.threads / args.rate)
                                         : std::chrono::duration<double>(0);
      while (std::chrono::steady_clock::now() < deadline) {
        if (args.rate > 0) {
          std::this_thread::sleep_until(next_op_at);
          next_op_at += std::chrono::duration_cast<std::chrono::steady_clock::duration>(spacing);
        }
        size_t ti = rng() % tables.size();
        auto& keys = live[ti];
        int dice = static_cast<int>(rng() % 10);
        cluster::KvMutation m;
        size_t victim = 0;
        if (keys.empty() || dice < 5) {  // insert
          m.key = cluster::RowKey(tables[ti].id, "w" + BigEndian((uint64_t(t) << 48) | counter++));
          m.value = RandomValue(rng, 16 + rng() % 113);
        } else {
          victim = rng() % keys.size();
          m.key = keys[victim];
          m.is_delete = dice >= 8;  // 30 % updates, 20 % deletes
          if (!m.is_delete) m.value = RandomValue(rng, 16 + rng() % 113);
        }
        auto done = kv.Write({m});
        if (!done.ok() || done->size() != 1) {
          oracle->Ambiguous(tables[ti].FullName(), m.key);
          ++failures;
          if (!keys.empty() && keys[victim] == m.key) keys.erase(keys.begin() + victim);
          continue;
        }
        uint64_t ts = (*done)[0].commit_ts;
        if (m.is_delete) {
          oracle->Delete(ts, tables[ti].FullName(), m.key);
          keys.erase(keys.begin() + victim);
        } else {
          oracle->Put(ts, tables[ti].FullName(), m.key, m.value);
          if (keys.empty() || keys[victim] != m.key) keys.push_back(m.key);
        }
        ++ops;
      }
      return Status::OK();
    });
  }
  BRIX_RETURN_IF_ERROR(group.Wait());
  BRIX_RETURN_IF_ERROR(oracle->Close());
  BRIX_ASSIGN_OR_RETURN(uint64_t end_ts, kv.pd()->GetTs());
  std::printf("workload: %llu writes acknowledged, %llu failed, start ts %llu, end ts %llu\n",
              static_cast<unsigned long long>(ops.load()),
              static_cast<unsigned long long>(failures.load()),
              static_cast<unsigned long long>(base_ts), static_cast<unsigned long long>(end_ts));
  return Status::OK();
}

}  // namespace brix::playground
