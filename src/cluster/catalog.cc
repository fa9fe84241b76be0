#include "cluster/catalog.h"

#include <algorithm>
#include <mutex>

#include "common/parallel.h"

namespace brix::cluster {

Result<std::pair<std::string, std::string>> ParseTableName(std::string_view text,
                                                           std::string_view field) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size() ||
      text.find('.', dot + 1) != std::string_view::npos) {
    return Status::InvalidArgument(std::string(field) + ": '" + std::string(text) +
                                   "' is not a table name (expected DB.TABLE)");
  }
  return std::make_pair(std::string(text.substr(0, dot)), std::string(text.substr(dot + 1)));
}

Result<std::vector<TableRef>> ListTables(KvClient& kv, uint64_t ts) {
  std::vector<TableRef> out;
  std::string prefix(kCatalogPrefix);
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  BRIX_RETURN_IF_ERROR(kv.Scan(prefix, end, ts, [&](const KvPair& p) {
    std::string full = p.key().substr(prefix.size());
    size_t dot = full.find('.');
    if (dot == std::string::npos) return true;
    out.push_back({std::stoll(p.value()), full.substr(0, dot), full.substr(dot + 1)});
    return true;
  }));
  return out;
}

Result<TableRef> FindTable(KvClient& kv, const std::string& db, const std::string& name,
                           uint64_t ts) {
  BRIX_ASSIGN_OR_RETURN(auto value, kv.Get(CatalogKey(db, name), ts));
  if (!value) return Status::NotFound("table " + db + "." + name + " does not exist");
  return TableRef{std::stoll(*value), db, name};
}

Result<TableRef> CreateTable(KvClient& kv, const std::string& db, const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(uint64_t now, kv.pd()->GetTs());
  auto existing = FindTable(kv, db, name, now);
  if (existing.ok()) return Status::AlreadyExists("table " + db + "." + name + " already exists");
  if (!existing.status().IsNotFound()) return existing.status();
  BRIX_ASSIGN_OR_RETURN(int64_t id, kv.pd()->AllocTableId(db, name));
  TableRef table{id, db, name};
  BRIX_RETURN_IF_ERROR(PublishTables(kv, {table}));
  return table;
}

Status PublishTables(KvClient& kv, const std::vector<TableRef>& tables,
                     std::vector<KvMutation> also) {
  for (const auto& t : tables)
    also.push_back({CatalogKey(t.db, t.name), false, std::to_string(t.id)});
  if (also.empty()) return Status::OK();
  return kv.Write(std::move(also)).status();
}

Result<std::map<std::string, KvChecksum>> ChecksumTables(KvClient& kv, uint64_t ts,
                                                         const TableFilter& filter) {
  BRIX_RETURN_IF_ERROR(kv.WaitResolved(ts));
  BRIX_ASSIGN_OR_RETURN(std::vector<TableRef> tables, ListTables(kv, ts));
  std::erase_if(tables, [&](const TableRef& t) { return !filter.Matches(t.db, t.name); });
  return ChecksumTables(kv, ts, tables);
}

Result<std::map<std::string, KvChecksum>> ChecksumTables(KvClient& kv, uint64_t ts,
                                                         const std::vector<TableRef>& tables) {
  BRIX_RETURN_IF_ERROR(kv.WaitResolved(ts));
  std::map<std::string, KvChecksum> sums;
  std::mutex mu;
  TaskGroup group(
      kChecksumTablesInFlight);  // tables live in their own regions, often on different nodes
  for (const auto& t : tables) {
    group.Submit([&, t]() -> Status {
      KvChecksum sum;
      BRIX_RETURN_IF_ERROR(
          kv.Scan(TablePrefix(t.id), TablePrefix(t.id + 1), ts, [&](const KvPair& p) {
            sum.Add(p.key(), p.value());
            return true;
          }));
      std::lock_guard<std::mutex> lock(mu);
      sums[t.FullName()] = sum;
      return Status::OK();
    });
  }
  BRIX_RETURN_IF_ERROR(group.Wait());
  return sums;
}

std::string FormatChecksums(const std::map<std::string, KvChecksum>& sums) {
  std::string out;
  KvChecksum total;
  for (const auto& [name, sum] : sums) {
    out += name + " " + sum.ToString() + "\n";
    total.Merge(sum);
  }
  out += "total " + total.ToString() + "\n";
  return out;
}

}  // namespace brix::cluster
