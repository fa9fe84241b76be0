#include "cluster/oracle.h"

#include <fstream>
#include <sstream>

#include "common/encoding.h"

namespace brix::cluster {
namespace {

std::optional<std::string> HexDecode(const std::string& hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (int j = 0; j < 2; ++j) {
      char c = hex[i + j];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

bool FilterAccepts(const TableFilter& filter, const std::string& table) {
  size_t dot = table.find('.');
  return dot != std::string::npos && filter.Matches(table.substr(0, dot), table.substr(dot + 1));
}

}  // namespace

Result<std::unique_ptr<OracleWriter>> OracleWriter::Create(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Status::IOError("--oracle: cannot create " + path);
  return std::unique_ptr<OracleWriter>(new OracleWriter(f));
}

OracleWriter::~OracleWriter() {
  if (file_) std::fclose(file_);
}

void OracleWriter::Line(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  std::fputs(line.c_str(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);  // recorded as soon as acknowledged
}

void OracleWriter::Base(const std::string& table, int64_t table_id, uint64_t ts,
                        const KvChecksum& sum) {
  char crc[32];
  std::snprintf(crc, sizeof(crc), "%016llx", static_cast<unsigned long long>(sum.crc64xor));
  Line("base " + table + " " + std::to_string(table_id) + " " + std::to_string(ts) + " " +
       std::to_string(sum.kvs) + " " + std::to_string(sum.bytes) + " " + crc);
}

void OracleWriter::Put(uint64_t ts, const std::string& table, std::string_view key,
                       std::string_view value) {
  Line("P " + std::to_string(ts) + " " + table + " " + HexEncode(key) + " " + HexEncode(value));
}

void OracleWriter::Delete(uint64_t ts, const std::string& table, std::string_view key) {
  Line("D " + std::to_string(ts) + " " + table + " " + HexEncode(key));
}

void OracleWriter::Ambiguous(const std::string& table, std::string_view key) {
  Line("A " + table + " " + HexEncode(key));
}

Status OracleWriter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  int rc = std::fclose(file_);
  file_ = nullptr;
  return rc == 0 ? Status::OK() : Status::IOError("closing the oracle file failed");
}

Result<OracleRecords> ReadOracle(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("--oracle: cannot read " + path);
  OracleRecords out;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream ls(line);
    std::string kind, table;
    ls >> kind;
    auto bad = [&] {
      return Status::Corruption("--oracle " + path + ": line " + std::to_string(line_no) +
                                " is malformed");
    };
    if (kind == "base") {
      OracleBase b;
      std::string crc;
      if (!(ls >> b.table >> b.table_id >> b.ts >> b.sum.kvs >> b.sum.bytes >> crc)) return bad();
      char* end = nullptr;
      b.sum.crc64xor = std::strtoull(crc.c_str(), &end, 16);
      if (crc.empty() || *end != '\0') return bad();
      out.bases.push_back(std::move(b));
    } else if (kind == "P" || kind == "D") {
      OracleWrite w;
      std::string key_hex, value_hex;
      if (!(ls >> w.commit_ts >> w.table >> key_hex)) return bad();
      if (kind == "P" && !(ls >> value_hex)) value_hex.clear();
      auto key = HexDecode(key_hex);
      auto value = HexDecode(value_hex);
      if (!key || !value) return bad();
      w.key = std::move(*key);
      w.is_delete = kind == "D";
      w.value = std::move(*value);
      out.writes.push_back(std::move(w));
    } else if (kind == "A") {
      OracleAmbiguous a;
      std::string key_hex;
      if (!(ls >> a.table)) return bad();
      if (ls >> key_hex) {
        auto key = HexDecode(key_hex);
        if (!key) return bad();
        a.key = std::move(*key);
      }
      a.line = line_no;
      out.ambiguous.push_back(std::move(a));
    } else if (!kind.empty()) {
      return bad();
    }
  }
  return out;
}

Result<std::map<std::string, KvChecksum>> OracleChecksum(const std::string& path, uint64_t ts,
                                                         const TableFilter& filter) {
  BRIX_ASSIGN_OR_RETURN(OracleRecords records, ReadOracle(path));
  std::map<std::string, KvChecksum> sums;
  for (const auto& b : records.bases) {
    if (!FilterAccepts(filter, b.table)) continue;
    if (ts < b.ts) {
      return Status::InvalidArgument("--ts " + std::to_string(ts) +
                                     " is before the workload started (" + std::to_string(b.ts) +
                                     "); the oracle cannot tell the state then");
    }
    sums[b.table].Merge(b.sum);
  }
  for (const auto& a : records.ambiguous) {
    if (FilterAccepts(filter, a.table)) {
      return Status::FailedPrecondition("--oracle " + path + ": a write to " + a.table +
                                        " has an unknown outcome (line " + std::to_string(a.line) +
                                        "), so its state cannot be recomputed exactly");
    }
  }
  struct Latest {
    uint64_t ts = 0;
    const OracleWrite* write = nullptr;
  };
  std::map<std::pair<std::string, std::string>, Latest> keys;  // (table, key) → latest ≤ ts
  for (const auto& w : records.writes) {
    if (!FilterAccepts(filter, w.table) || w.commit_ts > ts) continue;
    Latest& l = keys[{w.table, w.key}];
    if (w.commit_ts >= l.ts) l = {w.commit_ts, &w};
  }
  for (const auto& [k, latest] : keys) {
    if (!latest.write->is_delete) sums[k.first].Add(k.second, latest.write->value);
  }
  return sums;
}

}  // namespace brix::cluster
