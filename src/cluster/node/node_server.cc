#include "cluster/node/node_server.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <shared_mutex>
#include <thread>

#include "cluster/client/pd_client.h"
#include "cluster/client/tso_batcher.h"
#include "cluster/node/mvcc_store.h"
#include "cluster/proto/cluster.grpc.pb.h"
#include "cluster/region.h"
#include "cluster/write_id.h"
#include "common/durable_file.h"
#include "common/timestamp.h"
#include "common/tso.h"
#include "net/grpc_server.h"
#include "net/grpc_status.h"

namespace brix::cluster {
namespace {

// Clamps [start, end) to the region.
void Clamp(const Region& r, std::string* start, std::string* end) {
  if (*start < r.start_key()) *start = r.start_key();
  if (!r.end_key().empty() && (end->empty() || *end > r.end_key())) *end = r.end_key();
}

Result<uint64_t> ReadStoreId(const std::string& dir) {
  std::ifstream in(dir + "/store_id");
  uint64_t id = 0;
  if (in >> id) return id;
  return uint64_t{0};
}

Status WriteStoreId(const std::string& dir, uint64_t id) {
  return WriteFileDurably(dir + "/store_id", std::to_string(id) + "\n");
}

}  // namespace

struct NodeServer::Impl final : public KvNode::Service, public NodeContext {
  NodeOptions options;
  std::vector<std::unique_ptr<grpc::Service>> extra_services;
  std::unique_ptr<PdClient> pd_;
  std::unique_ptr<TsoBatcher> write_tso;  // writes' commit ts: one kvpd call per batch
  std::unique_ptr<MvccStore> store_;
  std::unique_ptr<grpc::Server> server;
  uint64_t store_id_ = 0;

  // Regions this store owns, from kvpd.
  std::mutex region_mu;
  std::map<uint64_t, Region> regions;
  uint64_t region_version = 0;  // kvpd's region-map version `regions` reflects

  // Resolved ts machinery (see the header).
  std::shared_mutex ts_gate;
  std::mutex inflight_mu;
  std::multiset<uint64_t> inflight;
  std::mutex resolved_mu;
  std::condition_variable resolved_cv;
  uint64_t resolved_ts = 0;
  std::atomic<uint64_t> gc_safepoint{0};
  // GC pause (cluster/pd/gc_pause.h): the epoch kvpd asks us to honour, and the one we do.
  // `honoured` changes only under gc_mu, which a GC run holds: a non-zero `honoured` means
  // no GC runs until it is 0 again.
  std::mutex gc_mu;
  std::atomic<uint64_t> gc_pause_wanted{0};
  std::atomic<uint64_t> gc_pause_honoured{0};
  std::atomic<bool> gc_pause_known{false};  // the heartbeat loop has had a reply

  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::vector<std::thread> threads;

  // ---------- regions ----------
  Status RefreshRegions() {
    BRIX_ASSIGN_OR_RETURN(HeartbeatResponse hb,
                          pd_->Heartbeat(store_id_, CurrentResolved(), gc_pause_honoured.load()));
    ApplyHeartbeat(hb);
    return Status::OK();
  }

  void ApplyHeartbeat(const HeartbeatResponse& hb) {
    std::lock_guard<std::mutex> lock(region_mu);
    if (hb.region_version() < region_version) return;  // an older answer arriving late
    region_version = hb.region_version();
    regions.clear();
    for (const auto& r : hb.regions()) regions[r.id()] = r;
    gc_safepoint = std::max(gc_safepoint.load(), hb.gc_safepoint());
  }

  // Only the heartbeat loop calls this: its replies arrive in order, so a late reply from before
  // a pause never lifts it.
  void ApplyGcPause(const HeartbeatResponse& hb) {
    gc_pause_wanted = hb.gc_pause_epoch();
    gc_pause_known = true;
    std::unique_lock<std::mutex> gc(gc_mu, std::try_to_lock);  // else the GC loop takes it over
    if (gc.owns_lock()) gc_pause_honoured = gc_pause_wanted.load();
  }

  // One GC pass, unless kvpd asked for a pause (then honours it and runs nothing).
  void GcOnce() {
    std::lock_guard<std::mutex> gc(gc_mu);
    gc_pause_honoured = gc_pause_wanted.load();
    if (gc_pause_honoured.load() != 0) return;
    uint64_t sp = gc_safepoint.load();
    if (sp == 0 || !gc_pause_known.load()) return;  // after a restart: pause state unknown yet
    auto removed = store_->Gc(sp);
    if (removed.ok() && *removed > 0)
      spdlog::info("kvnode: GC at {} removed {} versions", sp, *removed);
  }

  // Checks that the request's region is ours at that epoch and holds the keys; refreshes from
  // kvpd once when the client seems to know more than we do.
  bool CheckRegion(uint64_t region_id, uint64_t epoch, const std::vector<std::string_view>& keys,
                   RegionError* err, Region* out) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      {
        std::lock_guard<std::mutex> lock(region_mu);
        auto it = regions.find(region_id);
        if (it != regions.end() && it->second.epoch() == epoch) {
          for (auto k : keys) {
            if (!RegionContains(it->second, k)) {
              err->set_key_not_in_region(true);
              err->set_message("key outside region " + std::to_string(region_id));
              return false;
            }
          }
          *out = it->second;
          return true;
        }
        bool client_newer = it == regions.end() || it->second.epoch() < epoch;
        if (attempt == 1 || !client_newer) {
          if (it == regions.end()) {
            err->set_not_owner(true);
            err->set_message("store " + std::to_string(store_id_) + " does not own region " +
                             std::to_string(region_id));
          } else {
            err->set_epoch_not_match(true);
            err->set_message("region " + std::to_string(region_id) + " is at epoch " +
                             std::to_string(it->second.epoch()));
          }
          return false;
        }
      }
      RefreshRegions().IgnoreError();
    }
    return false;
  }

  // A ts comes with kvpd's region-map version at that moment; if it is newer than ours, our
  // view is stale and is refreshed before any request is checked against it. `batched`: through
  // the writes' TSO batcher.
  Result<uint64_t> TsWithFreshRegions(bool batched = false) {
    BRIX_ASSIGN_OR_RETURN(GetTsResponse r,
                          batched ? write_tso->Next() : pd_->GetTsAndRegionVersion());
    bool stale;
    {
      std::lock_guard<std::mutex> lock(region_mu);
      stale = r.region_version() > region_version;
    }
    if (stale) BRIX_RETURN_IF_ERROR(RefreshRegions());
    return r.ts();
  }

  // ---------- resolved ts ----------
  uint64_t CurrentResolved() {
    std::lock_guard<std::mutex> lock(resolved_mu);
    return resolved_ts;
  }

  Status Resolve() {
    uint64_t now_ts;
    {
      std::unique_lock<std::shared_mutex> gate(ts_gate);
      BRIX_ASSIGN_OR_RETURN(now_ts, TsWithFreshRegions());
    }
    uint64_t r = now_ts;
    {
      std::lock_guard<std::mutex> lock(inflight_mu);
      if (!inflight.empty()) r = std::min(r, *inflight.begin() - 1);
    }
    {
      std::lock_guard<std::mutex> lock(resolved_mu);
      if (r > resolved_ts) resolved_ts = r;
    }
    resolved_cv.notify_all();
    return Status::OK();
  }

  // Waits until the resolved ts reaches `ts` (resolving on demand).
  Status WaitResolved(uint64_t ts, std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (CurrentResolved() < ts) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::Timeout("resolved ts " + std::to_string(CurrentResolved()) +
                               " did not reach " + std::to_string(ts));
      }
      Status s = Resolve();
      if (!s.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Status::OK();
  }

  Status CheckReadTs(uint64_t ts) {
    if (ts != 0 && ts < gc_safepoint.load()) {
      return Status::FailedPrecondition("read ts " + std::to_string(ts) +
                                        " is below the GC safepoint " +
                                        std::to_string(gc_safepoint.load()));
    }
    return WaitResolved(ts, std::chrono::seconds(10));
  }

  // ---------- background ----------
  void Loop(std::chrono::milliseconds interval, const std::function<void()>& body) {
    while (!stopping.load()) {
      body();
      std::unique_lock<std::mutex> lock(stop_mu);
      stop_cv.wait_for(lock, interval, [&] { return stopping.load(); });
    }
  }

  // Write observers (log backup), called before a write leaves the in-flight set.
  std::shared_mutex observers_mu;
  std::map<int, WriteObserver> observers;
  int next_observer = 1;

  // ---------- NodeContext ----------
  uint64_t ResolvedTs() override { return CurrentResolved(); }
  int AddWriteObserver(WriteObserver observer) override {
    std::unique_lock<std::shared_mutex> lock(observers_mu);
    observers[next_observer] = std::move(observer);
    return next_observer++;
  }
  void RemoveWriteObserver(int id) override {
    std::unique_lock<std::shared_mutex> lock(observers_mu);
    observers.erase(id);
  }
  MvccStore* store() override { return store_.get(); }
  PdClient* pd() override { return pd_.get(); }
  uint64_t store_id() const override { return store_id_; }
  std::string work_dir() const override { return options.data_dir + "/work"; }
  Result<Region> OwnedRegion(uint64_t region_id, uint64_t epoch) override {
    RegionError err;
    Region region;
    if (!CheckRegion(region_id, epoch, {}, &err, &region)) return Status::Aborted(err.message());
    return region;
  }

  // ---------- RPCs ----------
  // Write ids being written right now: a retry of one waits (UNAVAILABLE) rather than racing it.
  std::mutex write_ids_mu;
  std::set<std::string> writing_ids;
  std::atomic<int64_t> write_ids_dropped_at_ms{0};

  // Claims `id` for one request; a claimed id is released on destruction.
  struct WriteIdClaim {
    Impl* impl = nullptr;
    std::string id;
    ~WriteIdClaim() {
      if (impl == nullptr) return;
      std::lock_guard<std::mutex> lock(impl->write_ids_mu);
      impl->writing_ids.erase(id);
    }
  };

  // Checks and claims the request's write id. Returns the original commit ts if the id was
  // already committed here.
  Result<std::optional<uint64_t>> ClaimWriteId(const std::string& id, WriteIdClaim* claim) {
    auto id_ts = WriteIdTs(id);
    if (!id_ts) {
      return Status::InvalidArgument("write_id must be " + std::to_string(kWriteIdSize) +
                                     " bytes (ts and sequence), got " + std::to_string(id.size()));
    }
    const int64_t now_ms = TsoNowMs();
    const int64_t max_age_ms = std::chrono::milliseconds(kWriteIdMaxAge).count();
    if (static_cast<int64_t>(TsPhysicalMs(*id_ts)) < now_ms - max_age_ms) {
      return Status::FailedPrecondition(
          "write_id made at " + FormatTso(*id_ts) + " is older than " +
          std::to_string(kWriteIdMaxAge.count()) +
          " minutes: whether it was written can no longer be told, so it is not retried");
    }
    {
      std::lock_guard<std::mutex> lock(write_ids_mu);
      if (!writing_ids.insert(id).second)
        return Status::Unavailable("a write with the same write_id is in progress; retry");
    }
    claim->impl = this;
    claim->id = id;
    return store_->CommittedWriteTs(id);
  }

  // "Now" for write ids: the physical part of the resolved ts (kvpd's clock, refreshed several
  // times a second), so a node whose own clock is off neither refuses fresh ids nor drops
  // records early.
  int64_t TsoNowMs() { return static_cast<int64_t>(TsPhysicalMs(CurrentResolved())); }

  // Once a minute a write also drops the records of ids past their retention.
  std::string WriteIdsToDrop() {
    const int64_t now_ms = TsoNowMs();
    int64_t last = write_ids_dropped_at_ms.load();
    if (now_ms - last < 60'000 || !write_ids_dropped_at_ms.compare_exchange_strong(last, now_ms))
      return "";
    const int64_t keep_ms = std::chrono::milliseconds(kWriteIdRetention).count();
    return MakeWriteId(ComposeTs(static_cast<uint64_t>(now_ms - keep_ms), 0), 0);
  }

  grpc::Status Write(grpc::ServerContext*, const WriteRequest* req, WriteResponse* resp) override {
    WriteIdClaim claim;
    if (!req->write_id().empty()) {
      auto committed = ClaimWriteId(req->write_id(), &claim);
      if (!committed.ok()) return net::ToGrpc(committed.status());
      if (committed->has_value()) {  // a retry of a write that is already stored
        resp->set_commit_ts(**committed);
        resp->set_replayed(true);
        return grpc::Status::OK;
      }
    }
    std::vector<MvccMutation> muts;
    std::vector<std::string_view> keys;
    for (const auto& m : req->mutations()) {
      keys.push_back(m.key());
      muts.push_back({m.key(), m.op() == DELETE ? MvccOp::kDelete : MvccOp::kPut, m.value()});
    }
    uint64_t ts;
    {
      std::shared_lock<std::shared_mutex> gate(ts_gate);
      auto got = TsWithFreshRegions(/*batched=*/true);
      if (!got.ok()) return net::ToGrpc(got.status());
      ts = *got;
      std::lock_guard<std::mutex> lock(inflight_mu);
      inflight.insert(ts);
    }
    auto done = [&] {
      std::lock_guard<std::mutex> lock(inflight_mu);
      inflight.erase(inflight.find(ts));
    };
    // Checked after the ts: the region view is then at least as new as the map at that ts, so
    // a write routed by a stale client cache is refused rather than stored where no one reads.
    Region region;
    if (!CheckRegion(req->region_id(), req->epoch(), keys, resp->mutable_region_error(), &region)) {
      done();
      return grpc::Status::OK;
    }
    resp->clear_region_error();
    Status s = store_->Write(muts, ts, req->write_id(),
                             req->write_id().empty() ? std::string() : WriteIdsToDrop());
    if (s.ok()) {
      std::shared_lock<std::shared_mutex> lock(observers_mu);
      for (const auto& [id, observe] : observers) observe(muts, ts);
    }
    done();
    if (!s.ok()) return net::ToGrpc(s);
    resp->set_commit_ts(ts);
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext*, const GetRequest* req, GetResponse* resp) override {
    Status s = CheckReadTs(req->ts());  // first: it also brings the region view up to date
    if (!s.ok()) return net::ToGrpc(s);
    Region region;
    if (!CheckRegion(req->region_id(), req->epoch(), {req->key()}, resp->mutable_region_error(),
                     &region)) {
      return grpc::Status::OK;
    }
    resp->clear_region_error();
    auto v = store_->Get(req->key(), req->ts());
    if (!v.ok()) return net::ToGrpc(v.status());
    if (v->has_value()) {
      resp->set_found(true);
      resp->set_value(**v);
    }
    return grpc::Status::OK;
  }

  grpc::Status Scan(grpc::ServerContext*, const ScanRequest* req, ScanResponse* resp) override {
    Status s = CheckReadTs(req->ts());  // first: it also brings the region view up to date
    if (!s.ok()) return net::ToGrpc(s);
    Region region;
    if (!CheckRegion(req->region_id(), req->epoch(), {}, resp->mutable_region_error(), &region)) {
      return grpc::Status::OK;
    }
    resp->clear_region_error();
    std::string start = req->start_key(), end = req->end_key();
    Clamp(region, &start, &end);
    bool more = false;
    auto rows = store_->Scan(start, end, req->ts(), req->limit() ? req->limit() : 1024, &more);
    if (!rows.ok()) return net::ToGrpc(rows.status());
    for (auto& [k, v] : *rows) {
      KvPair* p = resp->add_pairs();
      p->set_key(std::move(k));
      p->set_value(std::move(v));
    }
    resp->set_more(more);
    return grpc::Status::OK;
  }

  grpc::Status ScanVersions(grpc::ServerContext*, const ScanVersionsRequest* req,
                            ScanVersionsResponse* resp) override {
    Status s = CheckReadTs(req->to_ts());  // first: it also brings the region view up to date
    if (!s.ok()) return net::ToGrpc(s);
    Region region;
    if (!CheckRegion(req->region_id(), req->epoch(), {}, resp->mutable_region_error(), &region)) {
      return grpc::Status::OK;
    }
    resp->clear_region_error();
    if (req->from_ts() != 0 && req->from_ts() < gc_safepoint.load()) {
      return net::ToGrpc(Status::FailedPrecondition(
          "versions after " + std::to_string(req->from_ts()) + " may be gone: GC safepoint is " +
          std::to_string(gc_safepoint.load())));
    }
    std::string start = req->start_key(), end = req->end_key();
    Clamp(region, &start, &end);
    bool more = false;
    auto versions = store_->ScanVersions(start, end, req->from_ts(), req->to_ts(),
                                         req->limit() ? req->limit() : 1024, &more);
    if (!versions.ok()) return net::ToGrpc(versions.status());
    for (auto& v : *versions) {
      Version* out = resp->add_versions();
      out->set_key(std::move(v.key));
      out->set_commit_ts(v.commit_ts);
      out->set_op(v.op == MvccOp::kDelete ? DELETE : PUT);
      out->set_value(std::move(v.value));
    }
    resp->set_more(more);
    return grpc::Status::OK;
  }

  grpc::Status ResolvedTs(grpc::ServerContext*, const ResolvedTsRequest* req,
                          ResolvedTsResponse* resp) override {
    if (req->at_least() > 0) {
      Status s = WaitResolved(req->at_least(),
                              std::chrono::milliseconds(req->wait_ms() ? req->wait_ms() : 5000));
      if (!s.ok()) return net::ToGrpc(s);
    }
    resp->set_resolved_ts(CurrentResolved());
    resp->set_store_id(store_id_);
    return grpc::Status::OK;
  }
};

NodeServer::NodeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<NodeServer>> NodeServer::Start(const NodeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  BRIX_ASSIGN_OR_RETURN(auto credentials, net::ServerCredentials(options.tls, "kvnode"));
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Status::IOError("create " + options.data_dir + ": " + ec.message());
  BRIX_ASSIGN_OR_RETURN(impl->pd_, PdClient::Connect(options.pd));
  impl->write_tso = std::make_unique<TsoBatcher>(
      [pd = impl->pd_.get()](uint32_t n) { return pd->GetTsAndRegionVersion(n); });
  BRIX_ASSIGN_OR_RETURN(impl->store_, MvccStore::Open(options.data_dir + "/db"));
  BRIX_ASSIGN_OR_RETURN(uint64_t known_id, ReadStoreId(options.data_dir));
  BRIX_ASSIGN_OR_RETURN(impl->store_id_, impl->pd_->RegisterStore(options.listen, known_id));
  if (known_id != impl->store_id_)
    BRIX_RETURN_IF_ERROR(WriteStoreId(options.data_dir, impl->store_id_));
  BRIX_RETURN_IF_ERROR(impl->RefreshRegions());
  BRIX_RETURN_IF_ERROR(impl->Resolve());

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(static_cast<KvNode::Service*>(impl.get()));
  std::filesystem::create_directories(impl->work_dir(), ec);
  for (const auto& factory : options.services) {
    impl->extra_services.push_back(factory(impl.get()));
    builder.RegisterService(impl->extra_services.back().get());
  }
  impl->server = builder.BuildAndStart();
  if (!impl->server || port == 0)
    return Status::Unavailable("kvnode: cannot listen on " + options.listen);

  Impl* raw = impl.get();
  impl->threads.emplace_back([raw] {
    raw->Loop(raw->options.heartbeat_interval, [raw] {
      auto hb = raw->pd_->Heartbeat(raw->store_id_, raw->CurrentResolved(),
                                    raw->gc_pause_honoured.load());
      if (!hb.ok()) return;
      raw->ApplyGcPause(*hb);  // before the safepoint a GC run would use
      raw->ApplyHeartbeat(*hb);
    });
  });
  impl->threads.emplace_back(
      [raw] { raw->Loop(raw->options.resolve_interval, [raw] { raw->Resolve().IgnoreError(); }); });
  impl->threads.emplace_back(
      [raw] { raw->Loop(raw->options.gc_interval, [raw] { raw->GcOnce(); }); });
  spdlog::info("kvnode: store {} serving on {}", impl->store_id_, options.listen);
  return std::unique_ptr<NodeServer>(new NodeServer(std::move(impl)));
}

NodeServer::~NodeServer() {
  Shutdown();
  for (auto& t : impl_->threads) t.join();
  net::StopGrpcServer(*impl_->server);
  // Plugged-in services run threads that use the store and kvpd client: stop them first.
  impl_->extra_services.clear();
}

uint64_t NodeServer::store_id() const { return impl_->store_id_; }

void NodeServer::Wait() {
  std::unique_lock<std::mutex> lock(impl_->stop_mu);
  impl_->stop_cv.wait(lock, [&] { return impl_->stopping.load(); });
}

void NodeServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
}

}  // namespace brix::cluster
