#include "cluster/pd/pd_server.h"

#include <grpcpp/grpcpp.h>

#include "cluster/pd/etcd_layout.h"
#include "cluster/pd/gc_safepoints.h"
#include "cluster/pd/leadership.h"
#include "cluster/pd/log_tasks.h"
#include "cluster/pd/placement.h"
#include "cluster/pd/tso_allocator.h"
#include "cluster/proto/cluster.grpc.pb.h"
#include "common/metrics.h"
#include "common/time_util.h"
#include "common/tso.h"
#include "etcd/etcd_client.h"
#include "net/grpc_server.h"
#include "net/grpc_status.h"

namespace brix::cluster {
namespace {

namespace pb = ::brix::cluster;

// net::ToGrpc, plus ABORTED for a lost compare-and-swap (clients read again and retry).
grpc::Status Reply(const Status& s) {
  if (s.code() == Status::Code::kAborted) {
    return grpc::Status(grpc::StatusCode::ABORTED, s.message());
  }
  return net::ToGrpc(s);
}

}  // namespace

// The gRPC service: checks leadership, then hands each RPC to its concern.
struct PdServer::Impl final : public pb::PD::Service {
  explicit Impl(const PdOptions& o) : options(o) {}

  const PdOptions options;
  std::unique_ptr<etcd::EtcdClient> etcd;
  std::unique_ptr<grpc::Server> server;
  // The concerns (each with its own lock: see their headers). Created once etcd is connected.
  std::unique_ptr<Leadership> leadership;
  std::unique_ptr<TsoAllocator> tso;
  std::unique_ptr<Placement> placement;
  std::unique_ptr<GcSafePoints> safepoints;
  std::unique_ptr<LogTasks> log_tasks;
  // docs/metrics.md: TSO counters here, the rest read by Collect() at scrape time.
  metrics::Counter& tso_requests =
      metrics::Default()
          .Counter("brix_tso_requests_total", "TSO requests (GetTs) this kvpd answered as leader.")
          .WithLabels({});
  metrics::Counter& tso_issued =
      metrics::Default()
          .Counter("brix_tso_timestamps_issued_total", "Timestamps this kvpd issued as leader.")
          .WithLabels({});
  int collector = 0;

  // Leader-only state (a follower's copy is stale): the GC safepoint and log checkpoints.
  std::vector<metrics::CollectedFamily> Collect() {
    using metrics::CollectedFamily;
    using metrics::Type;
    const bool leading = Leading();
    std::vector<CollectedFamily> out = {{"brix_pd_leader",
                                         "1 while this kvpd is the leader.",
                                         Type::kGauge,
                                         {{{}, leading ? 1.0 : 0.0}}}};
    if (!leading) return out;
    out.push_back({"brix_gc_safepoint_ts",
                   "The GC safepoint (a TSO).",
                   Type::kGauge,
                   {{{}, static_cast<double>(safepoints->gc_safepoint())}}});
    CollectedFamily global{"brix_log_checkpoint_ts",
                           "A log task's global checkpoint (TSO; 0 until every store has one).",
                           Type::kGauge,
                           {}};
    CollectedFamily lag{"brix_log_checkpoint_lag_seconds",
                        "Seconds from a log task's global checkpoint to now: its RPO.",
                        Type::kGauge,
                        {}};
    CollectedFamily store{"brix_log_store_checkpoint_ts",
                          "A store's checkpoint of a log task (TSO), as the node reported it.",
                          Type::kGauge,
                          {}};
    const double now_ms = static_cast<double>(UnixMillis());
    for (const auto& [task, snap] : log_tasks->Checkpoints(placement->StoreIds())) {
      global.samples.push_back({{{"task", task}}, static_cast<double>(snap.global)});
      if (snap.global > 0) {
        double ms = now_ms - static_cast<double>(TsPhysicalMs(snap.global));
        lag.samples.push_back({{{"task", task}}, std::max(0.0, ms / 1000)});
      }
      for (const auto& [id, ts] : snap.stores) {
        store.samples.push_back(
            {{{"task", task}, {"store", std::to_string(id)}}, static_cast<double>(ts)});
      }
    }
    for (auto* f : {&global, &lag, &store}) out.push_back(std::move(*f));
    return out;
  }

  void CreateConcerns() {
    leadership = std::make_unique<Leadership>(etcd.get(), options, [this] { return LoadState(); });
    auto step_down = [this] { leadership->StepDown(); };
    auto persist = [this](uint64_t mark, int64_t revision) {
      return etcd->PutIfModRevision(pd_layout::kTsoKey, std::to_string(mark), revision);
    };
    tso = std::make_unique<TsoAllocator>(
        persist, options.tso_window, [] { return static_cast<uint64_t>(UnixMillis()); }, step_down);
    placement = std::make_unique<Placement>(etcd.get(), step_down);
    safepoints = std::make_unique<GcSafePoints>(etcd.get(), options.gc_life_time);
    log_tasks = std::make_unique<LogTasks>(etcd.get(), safepoints.get(), options.credential_key);
  }

  // On each election win, before serving: every concern reloads from etcd.
  Status LoadState() {
    BRIX_RETURN_IF_ERROR(placement->Load());
    // TSO: start above everything a previous leader may have issued.
    BRIX_ASSIGN_OR_RETURN(auto hwm, etcd->Get(pd_layout::kTsoKey));
    uint64_t persisted = 0;
    if (hwm) {
      BRIX_ASSIGN_OR_RETURN(persisted, pd_layout::ParseU64(pd_layout::kTsoKey, hwm->value));
    }
    BRIX_RETURN_IF_ERROR(tso->Start(persisted, hwm ? hwm->mod_revision : 0));
    BRIX_RETURN_IF_ERROR(safepoints->Load());
    return log_tasks->Load();
  }

  bool Leading() const { return leadership->Leading(); }

  grpc::Status NotLeader() const {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not leader: " + options.listen);
  }

  // ---------- TSO ----------
  grpc::Status GetTs(grpc::ServerContext*, const pb::GetTsRequest* req,
                     pb::GetTsResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto ts = tso->Next(req->count());
    if (!ts.ok()) return Reply(ts.status());
    tso_requests.Inc();
    tso_issued.Inc(std::max<uint32_t>(req->count(), 1));
    resp->set_ts(*ts);
    resp->set_region_version(placement->region_version());  // read after the ts was issued
    return grpc::Status::OK;
  }

  grpc::Status AdvanceTs(grpc::ServerContext*, const pb::AdvanceTsRequest* req,
                         pb::AdvanceTsResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto ts = tso->AdvancePast(req->min_ts());
    if (!ts.ok()) return Reply(ts.status());
    resp->set_ts(*ts);
    return grpc::Status::OK;
  }

  // ---------- placement ----------
  grpc::Status GetClusterInfo(grpc::ServerContext*, const pb::GetClusterInfoRequest*,
                              pb::GetClusterInfoResponse* resp) override {
    if (!Leading()) return NotLeader();
    resp->set_cluster_id(placement->cluster_id());
    return grpc::Status::OK;
  }

  grpc::Status RegisterStore(grpc::ServerContext*, const pb::RegisterStoreRequest* req,
                             pb::RegisterStoreResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto id = placement->RegisterStore(req->address(), req->store_id());
    if (!id.ok()) return Reply(id.status());
    resp->set_store_id(*id);
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const pb::HeartbeatRequest* req,
                         pb::HeartbeatResponse* resp) override {
    if (!Leading()) return NotLeader();
    Status s = placement->Heartbeat(req->store_id(), req->resolved_ts(), resp);
    if (!s.ok()) return Reply(s);
    GcSafePoints::HeartbeatAnswer gc =
        safepoints->Heartbeat(req->store_id(), req->gc_pause_epoch());
    resp->set_gc_safepoint(gc.gc_safepoint);
    resp->set_gc_pause_epoch(gc.gc_pause_epoch);
    return grpc::Status::OK;
  }

  grpc::Status GetStores(grpc::ServerContext*, const pb::GetStoresRequest*,
                         pb::GetStoresResponse* resp) override {
    if (!Leading()) return NotLeader();
    for (auto& s : placement->Stores()) *resp->add_stores() = std::move(s);
    return grpc::Status::OK;
  }

  grpc::Status GetRegions(grpc::ServerContext*, const pb::GetRegionsRequest* req,
                          pb::GetRegionsResponse* resp) override {
    if (!Leading()) return NotLeader();
    for (auto& r : placement->Regions(req->start_key(), req->end_key())) {
      *resp->add_regions() = std::move(r);
    }
    return grpc::Status::OK;
  }

  grpc::Status SplitRegion(grpc::ServerContext*, const pb::SplitRegionRequest* req,
                           pb::SplitRegionResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto split = placement->Split(req->split_key());
    if (!split.ok()) return Reply(split.status());
    *resp->mutable_left() = split->first;
    *resp->mutable_right() = split->second;
    return grpc::Status::OK;
  }

  grpc::Status AllocTableId(grpc::ServerContext*, const pb::AllocTableIdRequest* req,
                            pb::AllocTableIdResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto id = placement->AllocTableId(req->db(), req->name());
    if (!id.ok()) return Reply(id.status());
    resp->set_table_id(*id);
    return grpc::Status::OK;
  }

  // ---------- safepoints ----------
  grpc::Status UpdateServiceSafePoint(grpc::ServerContext*, const pb::ServiceSafePointRequest* req,
                                      pb::ServiceSafePointResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto min = safepoints->UpdateService(req->service(), req->ts(), req->ttl_seconds());
    if (!min.ok()) return Reply(min.status());
    resp->set_min_service_safepoint(*min);
    return grpc::Status::OK;
  }

  grpc::Status GetGcSafePoint(grpc::ServerContext*, const pb::GetGcSafePointRequest*,
                              pb::GetGcSafePointResponse* resp) override {
    if (!Leading()) return NotLeader();
    resp->set_gc_safepoint(safepoints->Advance());
    return grpc::Status::OK;
  }

  grpc::Status GcPause(grpc::ServerContext*, const pb::GcPauseRequest* req,
                       pb::GcPauseResponse* resp) override {
    if (!Leading()) return NotLeader();
    auto state = safepoints->Pause(req->owner(), req->ttl_seconds(), placement->StoreIds());
    if (!state.ok()) return Reply(state.status());
    if (req->ttl_seconds() <= 0) return grpc::Status::OK;
    resp->set_epoch(state->epoch);
    for (uint64_t id : state->pending_stores) resp->add_pending_stores(id);
    return grpc::Status::OK;
  }

  // ---------- log tasks ----------
  grpc::Status LogTaskPut(grpc::ServerContext*, const pb::LogTaskPutRequest* req,
                          pb::LogTaskPutResponse*) override {
    if (!Leading()) return NotLeader();
    return Reply(log_tasks->Put(*req));
  }

  grpc::Status LogTaskGet(grpc::ServerContext*, const pb::LogTaskGetRequest* req,
                          pb::LogTaskGetResponse* resp) override {
    if (!Leading()) return NotLeader();
    return Reply(log_tasks->Get(*req, placement->StoreIds(), resp));
  }

  grpc::Status LogTaskList(grpc::ServerContext*, const pb::LogTaskListRequest*,
                           pb::LogTaskListResponse* resp) override {
    if (!Leading()) return NotLeader();
    return Reply(log_tasks->List(resp));
  }

  grpc::Status LogTaskDelete(grpc::ServerContext*, const pb::LogTaskDeleteRequest* req,
                             pb::LogTaskDeleteResponse*) override {
    if (!Leading()) return NotLeader();
    return Reply(log_tasks->Delete(req->name()));
  }

  grpc::Status LogCheckpoint(grpc::ServerContext*, const pb::LogCheckpointRequest* req,
                             pb::LogCheckpointResponse* resp) override {
    if (!Leading()) return NotLeader();
    return Reply(log_tasks->Checkpoint(*req, placement->StoreIds(), resp));
  }
};

PdServer::PdServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<PdServer>> PdServer::Start(const PdOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  BRIX_ASSIGN_OR_RETURN(auto credentials, net::ServerCredentials(options.tls, "kvpd"));
  etcd::EtcdClient::Options eo;
  eo.timeout = std::chrono::milliseconds(2000);
  BRIX_ASSIGN_OR_RETURN(impl->etcd, etcd::EtcdClient::Connect(options.etcd_endpoint, eo));
  impl->CreateConcerns();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, credentials, &port);
  builder.RegisterService(impl.get());
  impl->server = builder.BuildAndStart();
  if (!impl->server || port == 0) {
    return Status::Unavailable("kvpd: cannot listen on " + options.listen);
  }
  impl->leadership->StartCampaign();
  impl->collector = metrics::Default().AddCollector([p = impl.get()] { return p->Collect(); });
  return std::unique_ptr<PdServer>(new PdServer(std::move(impl)));
}

PdServer::~PdServer() {
  metrics::Default().RemoveCollector(impl_->collector);
  Shutdown();
  impl_->leadership->Join();
  net::StopGrpcServer(*impl_->server);
}

bool PdServer::IsLeader() const { return impl_->Leading(); }

void PdServer::Wait() { impl_->leadership->WaitStopped(); }

void PdServer::Shutdown() { impl_->leadership->Stop(); }

}  // namespace brix::cluster
