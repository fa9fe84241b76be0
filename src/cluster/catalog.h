// The catalog (databases and tables with their ids), stored in the cluster itself under the
// meta prefix (mvcc.h: CatalogKey) so that a backup at ts carries the catalog as of ts.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cluster/client/kv_client.h"
#include "cluster/mvcc.h"
#include "common/table_filter.h"

namespace brix::cluster {

struct TableRef {
  int64_t id = 0;
  std::string db;
  std::string name;
  std::string FullName() const { return db + "." + name; }
};

// Splits "db.table"; the message names `field` when the text is not of that form.
[[nodiscard]] Result<std::pair<std::string, std::string>> ParseTableName(std::string_view text,
                                                                         std::string_view field);
// Every table at `ts`, sorted by name.
[[nodiscard]] Result<std::vector<TableRef>> ListTables(KvClient& kv, uint64_t ts);
// Creates the table (id from kvpd, own region), or AlreadyExists.
[[nodiscard]] Result<TableRef> CreateTable(KvClient& kv, const std::string& db,
                                           const std::string& name);
// Makes tables whose ids were allocated earlier (kvpd AllocTableId) visible in the catalog, in
// one atomic write together with `also` (restore publishes its data this way, last).
[[nodiscard]] Status PublishTables(KvClient& kv, const std::vector<TableRef>& tables,
                                   std::vector<KvMutation> also = {});
// The table, or NotFound naming it.
[[nodiscard]] Result<TableRef> FindTable(KvClient& kv, const std::string& db,
                                         const std::string& name, uint64_t ts);

// Per-table checksums at `ts` of the tables the filter selects (waits for resolved ts ≥ ts).
[[nodiscard]] Result<std::map<std::string, KvChecksum>> ChecksumTables(KvClient& kv, uint64_t ts,
                                                                       const TableFilter& filter);
// Per-table checksums at `ts` of the given tables, keyed by full name; tables are scanned in
// parallel, kChecksumTablesInFlight at a time (waits for resolved ts ≥ ts).
inline constexpr int kChecksumTablesInFlight = 8;
[[nodiscard]] Result<std::map<std::string, KvChecksum>> ChecksumTables(
    KvClient& kv, uint64_t ts, const std::vector<TableRef>& tables);

// Prints one line per table and a last "total ..." line (kvctl's format).
std::string FormatChecksums(const std::map<std::string, KvChecksum>& sums);

}  // namespace brix::cluster
