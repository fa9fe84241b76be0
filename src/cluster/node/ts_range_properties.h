// The commit-ts range of each of a store's SST files, kept in the file's properties so that a
// read of the versions committed in a ts window opens only the files that may hold one.
//
// A log task's catch-up after a pause and an incremental backup visit every version in
// (from_ts, to_ts]; without this, they read the whole store to find the few recent ones (on a
// 2 GiB store, seconds of a node's CPU per resume). RocksDB calls the collector for every entry
// a flush or compaction writes — deletes included: a RocksDB delete of a version (GC) carries
// that version's key and ts, so a file holding it is opened whenever the version it hides
// could be. TiKV keeps the same facts (its MVCC properties, read through its ts hints).
//
// Format (docs/format/snapshot.md has the store's key encoding): two user-collected properties,
// "brix.ts.min" and "brix.ts.max", each 8 bytes big-endian. A file without them (written before
// they existed, or by another writer such as an ingested backup SST) may hold any ts.
#pragma once

#include <cstdint>
#include <memory>

namespace rocksdb {
class TablePropertiesCollectorFactory;
struct TableProperties;
}  // namespace rocksdb

namespace brix::cluster {

// For ColumnFamilyOptions::table_properties_collector_factories of MVCC data.
std::shared_ptr<rocksdb::TablePropertiesCollectorFactory> NewTsRangeCollectorFactory();

// Whether a file with these properties may hold a version with from_ts < commit_ts ≤ to_ts.
bool TableMayHoldTs(const rocksdb::TableProperties& props, uint64_t from_ts, uint64_t to_ts);

}  // namespace brix::cluster
