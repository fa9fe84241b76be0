#include "cluster/pd/placement.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>

#include "cluster/pd/etcd_layout.h"
#include "cluster/region.h"
#include "common/random.h"
#include "common/time_util.h"
#include "etcd/etcd_client.h"

namespace brix::cluster {

namespace layout = pd_layout;

Status Placement::Load() {
  BRIX_ASSIGN_OR_RETURN(uint64_t id, LoadOrCreateClusterId());
  cluster_id_ = id;
  std::lock_guard<std::mutex> lock(mu_);
  BRIX_ASSIGN_OR_RETURN(auto regions, etcd_->Get(layout::kRegionsKey));
  regions_.Clear();
  regions_revision_ = 0;
  if (regions) {
    if (!regions_.ParseFromString(regions->value)) return Status::Corruption("region map");
    regions_revision_ = regions->mod_revision;
  }
  stores_.clear();
  BRIX_ASSIGN_OR_RETURN(auto st, etcd_->GetPrefix(layout::kStoresPrefix));
  for (const auto& kv : st.kvs) {
    Store s;
    if (s.ParseFromString(kv.value)) {
      stores_[s.id()] = s;
    } else {
      spdlog::warn("kvpd: ignoring {}: not a Store", kv.key);
    }
  }
  return Status::OK();
}

// The first leader of a new cluster picks its id; a race between two first leaders is settled
// by the create-only put, and the loser reads the winner's id.
Result<uint64_t> Placement::LoadOrCreateClusterId() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    BRIX_ASSIGN_OR_RETURN(auto existing, etcd_->Get(layout::kClusterIdKey));
    if (existing) return layout::ParseU64(layout::kClusterIdKey, existing->value);
    std::string bytes = RandomBytes16();
    uint64_t id = 0;
    for (int i = 0; i < 8; ++i) id = (id << 8) | static_cast<unsigned char>(bytes[i]);
    id = (id >> 1) | 1;  // non-zero, fits in int64 for JSON readers
    auto put = etcd_->PutIfModRevision(layout::kClusterIdKey, std::to_string(id), 0);
    if (put.ok()) return id;
  }
  return Status::Unavailable("cannot settle the cluster id");
}

Status Placement::SaveRegionsLocked() {
  auto rev = etcd_->PutIfModRevision(layout::kRegionsKey, regions_.SerializeAsString(),
                                     regions_revision_.load());
  if (!rev.ok()) {
    step_down_();
    return rev.status().WithContext("persist region map");
  }
  regions_revision_ = *rev;
  return Status::OK();
}

uint64_t Placement::NextRegionIdLocked() const {
  uint64_t id = 0;
  for (const auto& r : regions_.regions()) id = std::max(id, r.id());
  return id + 1;
}

Result<std::pair<Region, Region>> Placement::SplitLocked(const std::string& key) {
  for (int i = 0; i < regions_.regions_size(); ++i) {
    Region* r = regions_.mutable_regions(i);
    if (!RegionContains(*r, key)) continue;
    if (r->start_key() == key) return std::make_pair(*r, *r);
    Region right = *r;
    right.set_id(NextRegionIdLocked());
    right.set_epoch(1);
    right.set_start_key(key);
    r->set_end_key(key);
    r->set_epoch(r->epoch() + 1);
    Region left = *r;
    *regions_.add_regions() = right;
    return std::make_pair(left, right);
  }
  return Status::NotFound("no region contains the split key");
}

Result<uint64_t> Placement::RegisterStore(const std::string& address, uint64_t store_id) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = store_id;
  if (id == 0) {
    for (const auto& [sid, s] : stores_) id = std::max(id, sid);
    ++id;
  }
  Store store;
  store.set_id(id);
  store.set_address(address);
  store.set_last_heartbeat_unix_ms(UnixMillis());
  BRIX_RETURN_IF_ERROR(etcd_->Put(layout::StoreKey(id), store.SerializeAsString()).status());
  stores_[id] = store;
  if (regions_.regions_size() == 0) {  // bootstrap: the first store owns the whole key space
    Region* r = regions_.add_regions();
    r->set_id(1);
    r->set_epoch(1);
    r->set_store_id(id);
    BRIX_RETURN_IF_ERROR(SaveRegionsLocked());
  }
  spdlog::info("kvpd: store {} registered at {}", id, address);
  return id;
}

Status Placement::Heartbeat(uint64_t store_id, uint64_t resolved_ts, HeartbeatResponse* resp) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stores_.find(store_id);
  if (it == stores_.end()) return Status::NotFound("unknown store");
  it->second.set_last_heartbeat_unix_ms(UnixMillis());
  it->second.set_resolved_ts(resolved_ts);
  for (const auto& r : regions_.regions()) {
    if (r.store_id() == store_id) *resp->add_regions() = r;
  }
  resp->set_region_version(static_cast<uint64_t>(regions_revision_.load()));
  return Status::OK();
}

std::vector<Store> Placement::Stores() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Store> out;
  for (const auto& [id, s] : stores_) out.push_back(s);
  return out;
}

std::vector<uint64_t> Placement::StoreIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint64_t> ids;
  for (const auto& [id, s] : stores_) ids.push_back(id);
  return ids;
}

std::vector<Region> Placement::Regions(const std::string& start, const std::string& end) const {
  std::vector<Region> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& r : regions_.regions()) {
      bool before_end = end.empty() || r.start_key() < end;
      bool after_start = r.end_key().empty() || r.end_key() > start;
      if (before_end && after_start) out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Region& a, const Region& b) { return a.start_key() < b.start_key(); });
  return out;
}

Result<std::pair<Region, Region>> Placement::Split(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("empty split key");
  std::lock_guard<std::mutex> lock(mu_);
  BRIX_ASSIGN_OR_RETURN(auto split, SplitLocked(key));
  BRIX_RETURN_IF_ERROR(SaveRegionsLocked());
  return split;
}

Result<int64_t> Placement::AllocTableId(const std::string& db, const std::string& table) {
  std::lock_guard<std::mutex> lock(mu_);
  // Every call gets a new id, never one allocated before for the same name: a failed restore
  // leaves unpublished data under its ids, and those must never become a later table's.
  BRIX_ASSIGN_OR_RETURN(auto next, etcd_->Get(layout::kNextTableKey));
  int64_t id = 100;
  if (next) {
    BRIX_ASSIGN_OR_RETURN(id, layout::ParseI64(layout::kNextTableKey, next->value));
  }
  BRIX_RETURN_IF_ERROR(etcd_
                           ->PutIfModRevision(layout::kNextTableKey, std::to_string(id + 1),
                                              next ? next->mod_revision : 0)
                           .status());
  // Give the table its own region, on the store with the fewest regions. The range is empty
  // (the id is new), so moving it to another store moves no data.
  std::string start = "t", end = "t";
  for (int i = 7; i >= 0; --i)
    start.push_back(static_cast<char>((static_cast<uint64_t>(id) >> (8 * i)) & 0xff));
  for (int i = 7; i >= 0; --i)
    end.push_back(static_cast<char>((static_cast<uint64_t>(id + 1) >> (8 * i)) & 0xff));
  BRIX_RETURN_IF_ERROR(SplitLocked(start).status());
  BRIX_RETURN_IF_ERROR(SplitLocked(end).status());
  std::map<uint64_t, int> load;
  for (const auto& [sid, s] : stores_) load[sid] = 0;
  for (const auto& r : regions_.regions()) ++load[r.store_id()];
  uint64_t target = 0;
  int best = INT_MAX;
  for (const auto& [sid, n] : load) {
    if (n < best) {
      best = n;
      target = sid;
    }
  }
  for (int i = 0; i < regions_.regions_size(); ++i) {
    Region* r = regions_.mutable_regions(i);
    if (r->start_key() == start && target != 0 && r->store_id() != target) {
      r->set_store_id(target);
      r->set_epoch(r->epoch() + 1);
    }
  }
  BRIX_RETURN_IF_ERROR(SaveRegionsLocked());
  BRIX_RETURN_IF_ERROR(etcd_->Put(layout::TableNameKey(db, table), std::to_string(id)).status());
  return id;
}

}  // namespace brix::cluster
