// The workload oracle (docs/architecture.md#how-it-is-checked): a text file in which `kvctl
// workload` records every write it got acknowledged, so the state of its tables at any ts after the
// start can be recomputed without the cluster and compared with what the cluster (or a restore, or
// a PITR) holds.
//
// Lines:
//   base <db.table> <table_id> <ts> <kvs> <bytes> <crc64xor hex>   table checksum at start ts
//   P <commit_ts> <db.table> <hex key> <hex value>                  acknowledged put
//   D <commit_ts> <db.table> <hex key>                              acknowledged delete
//   A <db.table> <hex key>                                          outcome unknown (write failed)
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/mvcc.h"
#include "common/result.h"
#include "common/table_filter.h"

namespace brix::cluster {

class OracleWriter {
 public:
  [[nodiscard]] static Result<std::unique_ptr<OracleWriter>> Create(const std::string& path);
  ~OracleWriter();
  void Base(const std::string& table, int64_t table_id, uint64_t ts, const KvChecksum& sum);
  void Put(uint64_t ts, const std::string& table, std::string_view key, std::string_view value);
  void Delete(uint64_t ts, const std::string& table, std::string_view key);
  void Ambiguous(const std::string& table, std::string_view key);
  [[nodiscard]] Status Close();

 private:
  explicit OracleWriter(std::FILE* f) : file_(f) {}
  void Line(const std::string& line);
  std::mutex mu_;
  std::FILE* file_;
};

// An oracle file, parsed. Lines keep their order; `line` numbers are 1-based.
struct OracleBase {
  std::string table;
  int64_t table_id = 0;
  uint64_t ts = 0;
  KvChecksum sum;
};
struct OracleWrite {
  uint64_t commit_ts = 0;
  std::string table;
  std::string key;
  bool is_delete = false;
  std::string value;
};
struct OracleAmbiguous {
  std::string table;
  std::string key;
  size_t line = 0;
};
struct OracleRecords {
  std::vector<OracleBase> bases;
  std::vector<OracleWrite> writes;
  std::vector<OracleAmbiguous> ambiguous;
};
// Corruption naming the line if one is malformed.
[[nodiscard]] Result<OracleRecords> ReadOracle(const std::string& path);

// Per-table checksums at `ts` according to the oracle. Refused (with the reason) if `ts` is
// before the workload's start or a selected table has writes of unknown outcome.
[[nodiscard]] Result<std::map<std::string, KvChecksum>> OracleChecksum(const std::string& path,
                                                                       uint64_t ts,
                                                                       const TableFilter& filter);

}  // namespace brix::cluster
