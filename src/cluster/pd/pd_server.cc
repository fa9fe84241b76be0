#include "cluster/pd/pd_server.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "cluster/log_task_credentials.h"
#include "cluster/pd/gc_pause.h"
#include "cluster/proto/cluster.grpc.pb.h"
#include "cluster/region.h"
#include "common/random.h"
#include "common/sealed_box.h"
#include "etcd/etcd_client.h"
#include "net/grpc_status.h"

namespace brix::cluster {
namespace {

namespace pb = ::brix::cluster;
const std::string kRoot = "/brix/pd/";
const std::string kLeaderKey = kRoot + "leader";
const std::string kTsoKey = kRoot + "tso/high_water_ms";
const std::string kClusterIdKey = kRoot + "cluster_id";
const std::string kRegionsKey = kRoot + "regions";
const std::string kStoresPrefix = kRoot + "stores/";
const std::string kTablesPrefix = kRoot + "tables/";
const std::string kNextTableKey = kRoot + "next_table_id";
const std::string kGcKey = kRoot + "gc/safepoint";
const std::string kServiceSpPrefix = kRoot + "gc/service/";
const std::string kGcPausePrefix = kRoot + "gc/pause/";
const std::string kLogTaskPrefix = kRoot + "logtask/";

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

struct ServiceSafePoint {
  uint64_t ts = 0;
  uint64_t expire_ms = 0;
};

}  // namespace

struct PdServer::Impl final : public pb::PD::Service {
  PdOptions options;
  std::unique_ptr<etcd::EtcdClient> etcd;
  std::unique_ptr<grpc::Server> server;

  // Leadership. The lease ends at leader_valid_until (steady clock; see the header).
  using SteadyClock = std::chrono::steady_clock;
  std::atomic<bool> leader{false};
  std::atomic<SteadyClock::time_point> leader_valid_until{SteadyClock::time_point{}};
  int64_t lease = 0;
  std::atomic<bool> stopping{false};
  std::thread campaign_thread;
  std::mutex shutdown_mu;
  std::condition_variable shutdown_cv;

  // State (valid while leader; reloaded on each election win). Guarded by mu.
  std::mutex mu;
  uint64_t cluster_id = 0;
  uint64_t tso_physical = 0, tso_logical = 0, tso_high_water = 0;
  int64_t tso_key_revision = 0;
  pb::GetRegionsResponse region_map;  // all regions
  int64_t regions_revision = 0;
  std::map<uint64_t, pb::Store> stores;
  uint64_t gc_safepoint = 0;
  std::map<std::string, ServiceSafePoint> service_safepoints;
  std::unique_ptr<GcPauses> gc_pauses;  // created with the first state load
  std::map<std::string, std::map<uint64_t, uint64_t>> log_checkpoints;  // task → store → ts
  std::map<std::string, std::map<uint64_t, std::string>> log_errors;    // task → store → error

  // Requires mu. The minimum checkpoint over every registered store; 0 if one has none yet.
  uint64_t GlobalCheckpoint(const std::string& task) {
    const auto& ckpts = log_checkpoints[task];
    uint64_t global = 0;
    bool first = true;
    for (const auto& [id, store] : stores) {
      auto it = ckpts.find(id);
      uint64_t ts = it == ckpts.end() ? 0 : it->second;
      global = first ? ts : std::min(global, ts);
      first = false;
    }
    return global;
  }

  bool Leading() const { return leader.load() && SteadyClock::now() < leader_valid_until.load(); }

  // The lease of a grant/keepalive sent at `sent` is alive until at least sent + TTL; we stop a
  // second earlier (margin for etcd's own clock rate and our scheduling).
  SteadyClock::time_point LeaseEnd(SteadyClock::time_point sent) const {
    return sent + options.leader_ttl - std::chrono::seconds(1);
  }

  // Test hook: holds a keepalive reply back while options.test_keepalive_delay_file exists.
  void DelayKeepAliveReplyForTest() {
    if (options.test_keepalive_delay_file.empty()) return;
    std::ifstream in(options.test_keepalive_delay_file);
    int64_t ms = 0;
    if (!(in >> ms) || ms <= 0) return;
    spdlog::warn("kvpd {}: test hook: keepalive reply delayed {} ms", options.listen, ms);
    std::unique_lock<std::mutex> lock(shutdown_mu);
    shutdown_cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping.load(); });
  }

  grpc::Status NotLeader() const {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not leader: " + options.listen);
  }

  // ---------- leadership ----------
  void CampaignLoop() {
    while (!stopping.load()) {
      if (!leader.load()) {
        TryBecomeLeader();
      } else {
        auto sent = SteadyClock::now();
        Status s = etcd->KeepAliveOnce(lease);
        DelayKeepAliveReplyForTest();
        if (s.ok()) {
          leader_valid_until = LeaseEnd(sent);  // from the send: a late reply extends nothing
        } else {
          spdlog::warn("kvpd {}: lost leadership: {}", options.listen, s.ToString());
          leader = false;
        }
      }
      std::unique_lock<std::mutex> lock(shutdown_mu);
      shutdown_cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping.load(); });
    }
    if (leader.load()) {
      leader = false;
      etcd->RevokeLease(lease).IgnoreError();  // hand over at once instead of after the TTL
    }
  }

  void TryBecomeLeader() {
    auto current = etcd->Get(kLeaderKey);
    if (!current.ok() || current->has_value()) return;
    auto sent = SteadyClock::now();
    auto granted = etcd->GrantLease(options.leader_ttl);
    if (!granted.ok()) return;
    auto won = etcd->PutIfModRevision(kLeaderKey, options.listen, 0, *granted);
    if (!won.ok()) {
      etcd->RevokeLease(*granted).IgnoreError();
      return;
    }
    lease = *granted;
    Status loaded = LoadState();
    if (!loaded.ok()) {
      spdlog::error("kvpd {}: cannot load state: {}", options.listen, loaded.ToString());
      etcd->RevokeLease(lease).IgnoreError();
      return;
    }
    leader_valid_until = LeaseEnd(sent);
    leader = true;
    spdlog::info("kvpd {}: became leader", options.listen);
  }

  Status LoadState() {
    std::lock_guard<std::mutex> lock(mu);
    BRIX_ASSIGN_OR_RETURN(cluster_id, LoadOrCreateClusterId());
    // TSO: start above everything a previous leader may have issued.
    BRIX_ASSIGN_OR_RETURN(auto hwm, etcd->Get(kTsoKey));
    uint64_t persisted = hwm ? std::stoull(hwm->value) : 0;
    tso_key_revision = hwm ? hwm->mod_revision : 0;
    tso_physical = std::max(NowMs(), persisted + 1);
    tso_logical = 0;
    tso_high_water = 0;
    BRIX_RETURN_IF_ERROR(RaiseHighWater(tso_physical));

    BRIX_ASSIGN_OR_RETURN(auto regions, etcd->Get(kRegionsKey));
    region_map.Clear();
    regions_revision = 0;
    if (regions) {
      if (!region_map.ParseFromString(regions->value)) return Status::Corruption("region map");
      regions_revision = regions->mod_revision;
    }
    stores.clear();
    BRIX_ASSIGN_OR_RETURN(auto st, etcd->GetPrefix(kStoresPrefix));
    for (const auto& kv : st.kvs) {
      pb::Store s;
      if (s.ParseFromString(kv.value)) stores[s.id()] = s;
    }
    BRIX_ASSIGN_OR_RETURN(auto gc, etcd->Get(kGcKey));
    gc_safepoint = gc ? std::stoull(gc->value) : 0;
    service_safepoints.clear();
    BRIX_ASSIGN_OR_RETURN(auto sps, etcd->GetPrefix(kServiceSpPrefix));
    for (const auto& kv : sps.kvs) {
      size_t sep = kv.value.find(' ');
      if (sep == std::string::npos) continue;
      service_safepoints[kv.key.substr(kServiceSpPrefix.size())] = {
          std::stoull(kv.value.substr(0, sep)), std::stoull(kv.value.substr(sep + 1))};
    }
    if (!gc_pauses) gc_pauses = std::make_unique<GcPauses>(etcd.get(), kGcPausePrefix);
    BRIX_RETURN_IF_ERROR(gc_pauses->Load());
    log_checkpoints.clear();
    BRIX_ASSIGN_OR_RETURN(auto tasks, etcd->GetPrefix(kLogTaskPrefix));
    for (const auto& kv : tasks.kvs) {
      std::string rest = kv.key.substr(kLogTaskPrefix.size());
      size_t slash = rest.find("/ckpt/");
      if (slash == std::string::npos) continue;
      log_checkpoints[rest.substr(0, slash)][std::stoull(rest.substr(slash + 6))] =
          std::stoull(kv.value);
    }
    return Status::OK();
  }

  // The first leader of a new cluster picks its id; a race between two first leaders is settled
  // by the create-only put, and the loser reads the winner's id.
  Result<uint64_t> LoadOrCreateClusterId() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      BRIX_ASSIGN_OR_RETURN(auto existing, etcd->Get(kClusterIdKey));
      if (existing) return std::stoull(existing->value);
      std::string bytes = RandomBytes16();
      uint64_t id = 0;
      for (int i = 0; i < 8; ++i) id = (id << 8) | static_cast<unsigned char>(bytes[i]);
      id = (id >> 1) | 1;  // non-zero, fits in int64 for JSON readers
      auto put = etcd->PutIfModRevision(kClusterIdKey, std::to_string(id), 0);
      if (put.ok()) return id;
    }
    return Status::Unavailable("cannot settle the cluster id");
  }

  // Requires mu. Persists a mark above `physical` by CAS; a failed CAS means another leader.
  Status RaiseHighWater(uint64_t physical) {
    uint64_t mark = physical + static_cast<uint64_t>(options.tso_window.count());
    auto rev = etcd->PutIfModRevision(kTsoKey, std::to_string(mark), tso_key_revision);
    if (!rev.ok()) {
      leader = false;
      return rev.status().WithContext("persist TSO high-water mark");
    }
    tso_key_revision = *rev;
    tso_high_water = mark;
    return Status::OK();
  }

  // Requires mu. Persists the region map by CAS.
  Status SaveRegions() {
    auto rev =
        etcd->PutIfModRevision(kRegionsKey, region_map.SerializeAsString(), regions_revision);
    if (!rev.ok()) {
      leader = false;
      return rev.status().WithContext("persist region map");
    }
    regions_revision = *rev;
    return Status::OK();
  }

  uint64_t NextRegionId() const {
    uint64_t id = 0;
    for (const auto& r : region_map.regions()) id = std::max(id, r.id());
    return id + 1;
  }

  // Requires mu. Splits the region containing `key` at `key` (no-op if key is a boundary).
  Result<std::pair<pb::Region, pb::Region>> SplitLocked(const std::string& key) {
    for (int i = 0; i < region_map.regions_size(); ++i) {
      pb::Region* r = region_map.mutable_regions(i);
      if (!RegionContains(*r, key)) continue;
      if (r->start_key() == key) return std::make_pair(*r, *r);
      pb::Region right = *r;
      right.set_id(NextRegionId());
      right.set_epoch(1);
      right.set_start_key(key);
      r->set_end_key(key);
      r->set_epoch(r->epoch() + 1);
      pb::Region left = *r;
      *region_map.add_regions() = right;
      return std::make_pair(left, right);
    }
    return Status::NotFound("no region contains the split key");
  }

  // Requires mu. GC safepoint = min(now - life time, live service safepoints), never decreasing.
  uint64_t AdvanceGcSafePoint() {
    uint64_t now = NowMs();
    uint64_t life_ms = static_cast<uint64_t>(options.gc_life_time.count()) * 1000;
    uint64_t candidate = now > life_ms ? ComposeTs(now - life_ms, 0) : 0;
    for (auto it = service_safepoints.begin(); it != service_safepoints.end();) {
      if (it->second.expire_ms <= now) {
        etcd->Delete(kServiceSpPrefix + it->first).status().IgnoreError();
        it = service_safepoints.erase(it);
        continue;
      }
      candidate = std::min(candidate, it->second.ts);
      ++it;
    }
    if (candidate > gc_safepoint && etcd->Put(kGcKey, std::to_string(candidate)).ok()) {
      gc_safepoint = candidate;
    }
    return gc_safepoint;
  }

  // ---------- RPCs ----------
  grpc::Status GetTs(grpc::ServerContext*, const pb::GetTsRequest* req,
                     pb::GetTsResponse* resp) override {
    if (!Leading()) return NotLeader();
    uint64_t count = std::max<uint32_t>(1, req->count());
    if (count >= (1u << 18))
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "count too large");
    std::lock_guard<std::mutex> lock(mu);
    uint64_t now = NowMs();
    if (now > tso_physical) {
      tso_physical = now;
      tso_logical = 0;
    }
    if (tso_logical + count >= (1u << 18)) {  // logical space of this millisecond used up
      ++tso_physical;
      tso_logical = 0;
    }
    if (tso_physical >= tso_high_water) {
      Status s = RaiseHighWater(tso_physical);
      if (!s.ok()) return net::ToGrpc(s);
    }
    tso_logical += count;
    resp->set_ts(ComposeTs(tso_physical, tso_logical));
    resp->set_region_version(static_cast<uint64_t>(regions_revision));
    return grpc::Status::OK;
  }

  grpc::Status GetClusterInfo(grpc::ServerContext*, const pb::GetClusterInfoRequest*,
                              pb::GetClusterInfoResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    resp->set_cluster_id(cluster_id);
    return grpc::Status::OK;
  }

  grpc::Status AdvanceTs(grpc::ServerContext*, const pb::AdvanceTsRequest* req,
                         pb::AdvanceTsResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    uint64_t min_physical = req->min_ts() >> 18;
    if (ComposeTs(tso_physical, tso_logical) <= req->min_ts()) {
      tso_physical = min_physical + 1;  // the next millisecond is above every ts of min's
      tso_logical = 0;
    }
    if (tso_physical >= tso_high_water) {
      Status s = RaiseHighWater(tso_physical);
      if (!s.ok()) return net::ToGrpc(s);
    }
    ++tso_logical;
    resp->set_ts(ComposeTs(tso_physical, tso_logical));
    return grpc::Status::OK;
  }

  grpc::Status RegisterStore(grpc::ServerContext*, const pb::RegisterStoreRequest* req,
                             pb::RegisterStoreResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    uint64_t id = req->store_id();
    if (id == 0) {
      for (const auto& [sid, s] : stores) id = std::max(id, sid);
      ++id;
    }
    pb::Store store;
    store.set_id(id);
    store.set_address(req->address());
    store.set_last_heartbeat_unix_ms(static_cast<int64_t>(NowMs()));
    Status s = etcd->Put(kStoresPrefix + std::to_string(id), store.SerializeAsString()).status();
    if (!s.ok()) return net::ToGrpc(s);
    stores[id] = store;
    if (region_map.regions_size() == 0) {  // bootstrap: the first store owns the whole key space
      pb::Region* r = region_map.add_regions();
      r->set_id(1);
      r->set_epoch(1);
      r->set_store_id(id);
      s = SaveRegions();
      if (!s.ok()) return net::ToGrpc(s);
    }
    resp->set_store_id(id);
    spdlog::info("kvpd: store {} registered at {}", id, req->address());
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const pb::HeartbeatRequest* req,
                         pb::HeartbeatResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    auto it = stores.find(req->store_id());
    if (it == stores.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown store");
    it->second.set_last_heartbeat_unix_ms(static_cast<int64_t>(NowMs()));
    it->second.set_resolved_ts(req->resolved_ts());
    for (const auto& r : region_map.regions()) {
      if (r.store_id() == req->store_id()) *resp->add_regions() = r;
    }
    resp->set_gc_safepoint(AdvanceGcSafePoint());
    resp->set_region_version(static_cast<uint64_t>(regions_revision));
    gc_pauses->RecordHonoured(req->store_id(), req->gc_pause_epoch());
    resp->set_gc_pause_epoch(gc_pauses->CurrentEpoch(NowMs()));
    return grpc::Status::OK;
  }

  grpc::Status GetStores(grpc::ServerContext*, const pb::GetStoresRequest*,
                         pb::GetStoresResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [id, s] : stores) *resp->add_stores() = s;
    return grpc::Status::OK;
  }

  grpc::Status GetRegions(grpc::ServerContext*, const pb::GetRegionsRequest* req,
                          pb::GetRegionsResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& r : region_map.regions()) {
      bool before_end = req->end_key().empty() || r.start_key() < req->end_key();
      bool after_start = r.end_key().empty() || r.end_key() > req->start_key();
      if (before_end && after_start) *resp->add_regions() = r;
    }
    std::sort(
        resp->mutable_regions()->begin(), resp->mutable_regions()->end(),
        [](const pb::Region& a, const pb::Region& b) { return a.start_key() < b.start_key(); });
    return grpc::Status::OK;
  }

  grpc::Status SplitRegion(grpc::ServerContext*, const pb::SplitRegionRequest* req,
                           pb::SplitRegionResponse* resp) override {
    if (!Leading()) return NotLeader();
    if (req->split_key().empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty split key");
    std::lock_guard<std::mutex> lock(mu);
    auto split = SplitLocked(req->split_key());
    if (!split.ok()) return net::ToGrpc(split.status());
    Status s = SaveRegions();
    if (!s.ok()) return net::ToGrpc(s);
    *resp->mutable_left() = split->first;
    *resp->mutable_right() = split->second;
    return grpc::Status::OK;
  }

  grpc::Status AllocTableId(grpc::ServerContext*, const pb::AllocTableIdRequest* req,
                            pb::AllocTableIdResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    // Every call gets a new id, never one allocated before for the same name: a failed restore
    // leaves unpublished data under its ids, and those must never become a later table's.
    std::string name_key = kTablesPrefix + req->db() + "." + req->name();  // last id, for humans
    auto next = etcd->Get(kNextTableKey);
    if (!next.ok()) return net::ToGrpc(next.status());
    int64_t id = next->has_value() ? std::stoll((*next)->value) : 100;
    auto bumped = etcd->PutIfModRevision(kNextTableKey, std::to_string(id + 1),
                                         next->has_value() ? (*next)->mod_revision : 0);
    if (!bumped.ok()) return net::ToGrpc(bumped.status());
    // Give the table its own region, on the store with the fewest regions. The range is empty
    // (the id is new), so moving it to another store moves no data.
    std::string start = "t", end = "t";
    for (int i = 7; i >= 0; --i)
      start.push_back(static_cast<char>((static_cast<uint64_t>(id) >> (8 * i)) & 0xff));
    for (int i = 7; i >= 0; --i)
      end.push_back(static_cast<char>((static_cast<uint64_t>(id + 1) >> (8 * i)) & 0xff));
    auto left = SplitLocked(start);
    if (!left.ok()) return net::ToGrpc(left.status());
    auto right = SplitLocked(end);
    if (!right.ok()) return net::ToGrpc(right.status());
    std::map<uint64_t, int> load;
    for (const auto& [sid, s] : stores) load[sid] = 0;
    for (const auto& r : region_map.regions()) ++load[r.store_id()];
    uint64_t target = 0;
    int best = INT32_MAX;
    for (const auto& [sid, n] : load) {
      if (n < best) {
        best = n;
        target = sid;
      }
    }
    for (int i = 0; i < region_map.regions_size(); ++i) {
      pb::Region* r = region_map.mutable_regions(i);
      if (r->start_key() == start && target != 0 && r->store_id() != target) {
        r->set_store_id(target);
        r->set_epoch(r->epoch() + 1);
      }
    }
    Status s = SaveRegions();
    if (!s.ok()) return net::ToGrpc(s);
    s = etcd->Put(name_key, std::to_string(id)).status();
    if (!s.ok()) return net::ToGrpc(s);
    resp->set_table_id(id);
    return grpc::Status::OK;
  }

  grpc::Status UpdateServiceSafePoint(grpc::ServerContext*, const pb::ServiceSafePointRequest* req,
                                      pb::ServiceSafePointResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    if (req->ttl_seconds() <= 0) {
      service_safepoints.erase(req->service());
      etcd->Delete(kServiceSpPrefix + req->service()).status().IgnoreError();
    } else {
      if (req->ts() < gc_safepoint) {
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            "service safepoint " + std::to_string(req->ts()) +
                                " is below the GC safepoint " + std::to_string(gc_safepoint));
      }
      ServiceSafePoint sp{req->ts(), NowMs() + static_cast<uint64_t>(req->ttl_seconds()) * 1000};
      Status s = etcd->Put(kServiceSpPrefix + req->service(),
                           std::to_string(sp.ts) + " " + std::to_string(sp.expire_ms))
                     .status();
      if (!s.ok()) return net::ToGrpc(s);
      service_safepoints[req->service()] = sp;
    }
    uint64_t min = 0;
    for (const auto& [name, sp] : service_safepoints) min = min == 0 ? sp.ts : std::min(min, sp.ts);
    resp->set_min_service_safepoint(min);
    return grpc::Status::OK;
  }

  grpc::Status GetGcSafePoint(grpc::ServerContext*, const pb::GetGcSafePointRequest*,
                              pb::GetGcSafePointResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    resp->set_gc_safepoint(AdvanceGcSafePoint());
    return grpc::Status::OK;
  }

  grpc::Status GcPause(grpc::ServerContext*, const pb::GcPauseRequest* req,
                       pb::GcPauseResponse* resp) override {
    if (!Leading()) return NotLeader();
    std::lock_guard<std::mutex> lock(mu);
    if (req->ttl_seconds() <= 0) return net::ToGrpc(gc_pauses->Release(req->owner()));
    auto epoch = gc_pauses->Hold(req->owner(), req->ttl_seconds(), NowMs());
    if (!epoch.ok()) return net::ToGrpc(epoch.status());
    std::vector<uint64_t> ids;
    for (const auto& [id, store] : stores) ids.push_back(id);
    resp->set_epoch(*epoch);
    for (uint64_t id : gc_pauses->Pending(*epoch, ids)) resp->add_pending_stores(id);
    return grpc::Status::OK;
  }

  // Log tasks: <prefix><name>/def (opaque definition), /cred (its storage credentials, sealed:
  // cluster/log_task_credentials.h), /stopped (present once the task is final), /ckpt/<store>.
  // Every change that must not be lost to a concurrent one is a guarded etcd transaction, and the
  // task's service safepoint changes in the same transaction.
  static std::string LogTaskKey(const std::string& name, const std::string& part) {
    return kLogTaskPrefix + name + "/" + part;
  }

  static grpc::Status CheckTaskName(const std::string& name) {
    return net::ToGrpc(CheckPathComponent("log task name", name));
  }

  // The credentials' part of a put: sealed, or removed (an empty env).
  Status AddCredentials(const pb::LogTaskPutRequest& req,
                        std::vector<std::pair<std::string, std::string>>* puts,
                        std::vector<std::string>* deletes) {
    if (!req.has_credentials()) return Status::OK();
    if (req.credentials().env().empty()) {
      deletes->push_back(LogTaskKey(req.name(), "cred"));
      return Status::OK();
    }
    BRIX_ASSIGN_OR_RETURN(
        std::string sealed,
        SealLogTaskCredentials(options.credential_key, req.name(), req.credentials()));
    puts->push_back({LogTaskKey(req.name(), "cred"), std::move(sealed)});
    return Status::OK();
  }

  grpc::Status LogTaskPut(grpc::ServerContext*, const pb::LogTaskPutRequest* req,
                          pb::LogTaskPutResponse*) override {
    if (!Leading()) return NotLeader();
    if (auto bad = CheckTaskName(req->name()); !bad.ok()) return bad;
    std::lock_guard<std::mutex> lock(mu);
    std::string key = LogTaskKey(req->name(), "def");
    std::vector<std::pair<std::string, std::string>> puts = {{key, req->definition()}};
    std::vector<std::string> deletes;
    if (Status s = AddCredentials(*req, &puts, &deletes); !s.ok()) return net::ToGrpc(s);
    if (req->create_only()) {
      Status s = etcd->CommitIf({{key, 0}}, puts, deletes).status();
      if (s.code() == Status::Code::kFailedPrecondition) {
        return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                            "log task '" + req->name() + "' exists");
      }
      return net::ToGrpc(s);
    }
    std::vector<etcd::EtcdClient::Guard> guards;
    if (req->expected_revision() > 0) guards.push_back({key, req->expected_revision()});
    std::optional<ServiceSafePoint> sp;
    const std::string& sp_name = req->service_safepoint();
    if (req->stopped()) {
      puts.push_back({LogTaskKey(req->name(), "stopped"), "1"});
      // A final task uploads nothing more: its credentials go.
      if (!req->has_credentials()) deletes.push_back(LogTaskKey(req->name(), "cred"));
    }
    if (!sp_name.empty()) {
      if (req->stopped() || req->safepoint_ttl_seconds() <= 0) {
        deletes.push_back(kServiceSpPrefix + sp_name);
      } else {
        if (req->safepoint_ts() < gc_safepoint) {
          return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                              "service safepoint " + std::to_string(req->safepoint_ts()) +
                                  " is below the GC safepoint " + std::to_string(gc_safepoint));
        }
        sp = ServiceSafePoint{req->safepoint_ts(),
                              NowMs() + static_cast<uint64_t>(req->safepoint_ttl_seconds()) * 1000};
        puts.push_back({kServiceSpPrefix + sp_name,
                        std::to_string(sp->ts) + " " + std::to_string(sp->expire_ms)});
      }
    }
    auto rev = etcd->CommitIf(guards, puts, deletes);
    if (!rev.ok()) {
      if (rev.status().code() == Status::Code::kFailedPrecondition) {
        return grpc::Status(grpc::StatusCode::ABORTED,
                            "log task '" + req->name() + "' changed since revision " +
                                std::to_string(req->expected_revision()) + "; read it again");
      }
      return net::ToGrpc(rev.status());
    }
    if (sp) {
      service_safepoints[sp_name] = *sp;
    } else if (!sp_name.empty()) {
      service_safepoints.erase(sp_name);
    }
    return grpc::Status::OK;
  }

  grpc::Status LogTaskGet(grpc::ServerContext*, const pb::LogTaskGetRequest* req,
                          pb::LogTaskGetResponse* resp) override {
    if (!Leading()) return NotLeader();
    if (auto bad = CheckTaskName(req->name()); !bad.ok()) return bad;
    // One read of the task's keys: the definition and its credentials as of the same revision.
    auto all = etcd->GetPrefix(LogTaskKey(req->name(), ""));
    if (!all.ok()) return net::ToGrpc(all.status());
    const etcd::KeyValue* def = nullptr;
    for (const auto& kv : all->kvs) {
      if (kv.key == LogTaskKey(req->name(), "def")) def = &kv;
      if (kv.key == LogTaskKey(req->name(), "cred") && req->with_sealed_credentials()) {
        resp->set_sealed_credentials(kv.value);
      }
    }
    if (!def) {
      resp->clear_sealed_credentials();
      return grpc::Status::OK;
    }
    resp->set_found(true);
    resp->set_definition(def->value);
    resp->set_revision(def->mod_revision);
    resp->set_create_revision(def->create_revision);
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [store, ts] : log_checkpoints[req->name()]) {
      (*resp->mutable_store_checkpoints())[store] = ts;
    }
    for (const auto& [store, err] : log_errors[req->name()]) {
      (*resp->mutable_store_errors())[store] = err;
    }
    resp->set_global_checkpoint(GlobalCheckpoint(req->name()));
    return grpc::Status::OK;
  }

  grpc::Status LogTaskList(grpc::ServerContext*, const pb::LogTaskListRequest*,
                           pb::LogTaskListResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto all = etcd->GetPrefix(kLogTaskPrefix);
    if (!all.ok()) return net::ToGrpc(all.status());
    for (const auto& kv : all->kvs) {
      std::string rest = kv.key.substr(kLogTaskPrefix.size());
      if (rest.size() > 4 && rest.compare(rest.size() - 4, 4, "/def") == 0) {
        resp->add_names(rest.substr(0, rest.size() - 4));
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status LogTaskDelete(grpc::ServerContext*, const pb::LogTaskDeleteRequest* req,
                             pb::LogTaskDeleteResponse*) override {
    if (!Leading()) return NotLeader();
    if (auto bad = CheckTaskName(req->name()); !bad.ok()) return bad;
    std::lock_guard<std::mutex> lock(mu);
    log_checkpoints.erase(req->name());
    log_errors.erase(req->name());
    return net::ToGrpc(etcd->DeletePrefix(kLogTaskPrefix + req->name() + "/").status());
  }

  grpc::Status LogCheckpoint(grpc::ServerContext*, const pb::LogCheckpointRequest* req,
                             pb::LogCheckpointResponse* resp) override {
    if (!Leading()) return NotLeader();
    if (auto bad = CheckTaskName(req->name()); !bad.ok()) return bad;
    std::lock_guard<std::mutex> lock(mu);
    log_errors[req->name()][req->store_id()] = req->error();
    auto& ckpts = log_checkpoints[req->name()];
    const uint64_t before = ckpts.count(req->store_id()) ? ckpts[req->store_id()] : 0;
    const bool advance = req->checkpoint() > before;  // checkpoints only move forward
    if (advance) ckpts[req->store_id()] = req->checkpoint();
    const uint64_t global = GlobalCheckpoint(req->name());
    std::vector<std::pair<std::string, std::string>> puts;
    if (advance) {
      puts.push_back({LogTaskKey(req->name(), "ckpt/" + std::to_string(req->store_id())),
                      std::to_string(req->checkpoint())});
    }
    std::optional<ServiceSafePoint> sp;
    const std::string& sp_name = req->service_safepoint();
    if (!sp_name.empty() && req->safepoint_ttl_seconds() > 0 && global > 0 &&
        global - 1 >= gc_safepoint) {
      sp = ServiceSafePoint{global - 1,
                            NowMs() + static_cast<uint64_t>(req->safepoint_ttl_seconds()) * 1000};
      puts.push_back({kServiceSpPrefix + sp_name,
                      std::to_string(sp->ts) + " " + std::to_string(sp->expire_ms)});
    }
    if (!puts.empty()) {
      // Only while the task lives: a late report after stop (or after the name was reused)
      // must not bring back its checkpoints or its safepoint.
      std::vector<etcd::EtcdClient::Guard> guards = {{LogTaskKey(req->name(), "stopped"), 0}};
      if (req->task_create_revision() > 0) {
        guards.push_back({LogTaskKey(req->name(), "def"), req->task_create_revision(), true});
      }
      auto rev = etcd->CommitIf(guards, puts);
      if (!rev.ok()) {
        if (advance) {
          if (before == 0) {
            ckpts.erase(req->store_id());
          } else {
            ckpts[req->store_id()] = before;
          }
        }
        if (rev.status().code() == Status::Code::kFailedPrecondition) {
          return grpc::Status(
              grpc::StatusCode::FAILED_PRECONDITION,
              "log task '" + req->name() + "' is stopped or was re-created; checkpoint not taken");
        }
        return net::ToGrpc(rev.status());
      }
      if (sp) service_safepoints[sp_name] = *sp;
    }
    resp->set_global_checkpoint(global);
    return grpc::Status::OK;
  }
};

PdServer::PdServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<PdServer>> PdServer::Start(const PdOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  BRIX_ASSIGN_OR_RETURN(auto credentials, net::ServerCredentials(options.tls, "kvpd"));
  etcd::EtcdClient::Options eo;
  eo.timeout = std::chrono::milliseconds(2000);
  BRIX_ASSIGN_OR_RETURN(impl->etcd, etcd::EtcdClient::Connect(options.etcd_endpoint, eo));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, credentials, &port);
  builder.RegisterService(impl.get());
  impl->server = builder.BuildAndStart();
  if (!impl->server || port == 0) {
    return Status::Unavailable("kvpd: cannot listen on " + options.listen);
  }
  Impl* raw = impl.get();
  impl->campaign_thread = std::thread([raw] { raw->CampaignLoop(); });
  return std::unique_ptr<PdServer>(new PdServer(std::move(impl)));
}

PdServer::~PdServer() {
  Shutdown();
  if (impl_->campaign_thread.joinable()) impl_->campaign_thread.join();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

bool PdServer::IsLeader() const { return impl_->Leading(); }

void PdServer::Wait() {
  std::unique_lock<std::mutex> lock(impl_->shutdown_mu);
  impl_->shutdown_cv.wait(lock, [&] { return impl_->stopping.load(); });
}

void PdServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->shutdown_mu);
    impl_->stopping = true;
  }
  impl_->shutdown_cv.notify_all();
}

}  // namespace brix::cluster
