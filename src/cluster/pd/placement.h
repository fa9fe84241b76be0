// Placement: kvpd's picture of where data lives — the cluster id, the registered stores, the
// region map and table ids (docs/cluster.md). Valid while this kvpd leads; Load() reloads it from
// etcd on each election win. Keys and values: cluster/pd/etcd_layout.h.
//
// Locking: one mutex (mu_) guards stores_, regions_ and the table-id counter; it is held across
// the etcd writes of those (the region map is written by compare-and-swap on its revision, so a
// deposed leader's write fails and it steps down). region_version() and cluster_id() are atomics
// readable without the lock (GetTs reads the region version after it issued the ts, so a
// region change persisted before the ts was issued is always reflected). Never held together
// with another concern's lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cluster/proto/cluster.pb.h"
#include "common/result.h"

namespace brix::etcd {
class EtcdClient;
}

namespace brix::cluster {

class Placement {
 public:
  // `step_down`: called when a compare-and-swap shows another leader.
  Placement(etcd::EtcdClient* etcd, std::function<void()> step_down)
      : etcd_(etcd), step_down_(std::move(step_down)) {}

  [[nodiscard]] Status Load();

  uint64_t cluster_id() const { return cluster_id_.load(); }
  // Changes whenever the region map does (its etcd revision).
  uint64_t region_version() const { return static_cast<uint64_t>(regions_revision_.load()); }

  // store_id 0 = a new store. The first store owns the whole key space.
  [[nodiscard]] Result<uint64_t> RegisterStore(const std::string& address, uint64_t store_id);
  // Records the heartbeat; fills the store's regions and the region version. NotFound for an
  // unknown store.
  [[nodiscard]] Status Heartbeat(uint64_t store_id, uint64_t resolved_ts, HeartbeatResponse* resp);
  std::vector<Store> Stores() const;
  std::vector<uint64_t> StoreIds() const;
  // Regions overlapping [start, end) (end "" = to the end), sorted by start key.
  std::vector<Region> Regions(const std::string& start, const std::string& end) const;
  // Splits the region containing `key` at `key` (both halves the same region if key is a
  // boundary already) and persists the map.
  [[nodiscard]] Result<std::pair<Region, Region>> Split(const std::string& key);
  // A table id never handed out before, with its own empty region on the least loaded store.
  [[nodiscard]] Result<int64_t> AllocTableId(const std::string& db, const std::string& table);

 private:
  [[nodiscard]] Result<uint64_t> LoadOrCreateClusterId();
  // Require mu_.
  [[nodiscard]] Status SaveRegionsLocked();
  uint64_t NextRegionIdLocked() const;
  [[nodiscard]] Result<std::pair<Region, Region>> SplitLocked(const std::string& key);

  etcd::EtcdClient* const etcd_;
  const std::function<void()> step_down_;
  std::atomic<uint64_t> cluster_id_{0};
  std::atomic<int64_t> regions_revision_{0};  // written under mu_

  mutable std::mutex mu_;
  GetRegionsResponse regions_;  // all regions
  std::map<uint64_t, Store> stores_;
};

}  // namespace brix::cluster
