#include "cluster/client/pd_client.h"

#include <grpcpp/grpcpp.h>

#include <cstring>
#include <thread>

#include "net/grpc_status.h"

namespace brix::cluster {

Result<std::unique_ptr<PdClient>> PdClient::Connect(const std::string& addresses,
                                                    std::chrono::milliseconds failover_timeout,
                                                    const net::TlsConfig* tls) {
  std::unique_ptr<PdClient> c(new PdClient());
  size_t start = 0;
  while (start <= addresses.size()) {
    size_t comma = addresses.find(',', start);
    std::string a =
        addresses.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    for (const char* scheme : {"http://", "https://"}) {
      if (a.rfind(scheme, 0) == 0) a = a.substr(std::strlen(scheme));
    }
    if (!a.empty()) c->addresses_.push_back(a);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (c->addresses_.empty()) {
    return Status::InvalidArgument("--pd: no address given (expected host:port[,host:port...])");
  }
  if (tls != nullptr) {
    BRIX_ASSIGN_OR_RETURN(c->credentials_, net::ChannelCredentials(*tls));
  } else {
    BRIX_ASSIGN_OR_RETURN(c->credentials_, net::ChannelCredentials());
  }
  for (size_t i = 0; i < c->addresses_.size(); ++i) c->Reconnect(i);
  c->failover_timeout_ = failover_timeout;
  return c;
}

void PdClient::Reconnect(size_t index) {
  // Its own subchannel (not gRPC's process-wide pool) and a short reconnect backoff: a channel
  // to a kvpd that was down can stay failed with the old error after the kvpd is back; a fresh
  // channel connects anew.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  auto channel = grpc::CreateCustomChannel(addresses_[index], credentials_, args);
  std::shared_ptr<PD::Stub> stub = PD::NewStub(channel);
  std::lock_guard<std::mutex> lock(mu_);
  if (channels_.size() <= index) channels_.resize(index + 1);
  if (stubs_.size() <= index) stubs_.resize(index + 1);
  channels_[index] = std::move(channel);
  stubs_[index] = std::move(stub);
}

Status PdClient::Call(const std::string& what,
                      const std::function<grpc::Status(PD::Stub&, grpc::ClientContext&)>& call) {
  auto deadline = std::chrono::steady_clock::now() + failover_timeout_;
  size_t index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = leader_;
  }
  std::vector<std::string> last_errors(addresses_.size());
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    std::shared_ptr<PD::Stub> stub;
    std::shared_ptr<grpc::Channel> channel;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stub = stubs_[index];
      channel = channels_[index];
    }
    grpc::Status s = call(*stub, ctx);
    bool leader_problem = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                          (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                           s.error_message().rfind("not leader", 0) == 0) ||
                          s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if (!leader_problem) {
      std::lock_guard<std::mutex> lock(mu_);
      leader_ = index;
      return net::FromGrpc(s, "kvpd " + what);
    }
    last_errors[index] = addresses_[index] + ": " + s.error_message();
    // A kvpd that was down may be back (and lead): a channel stuck failing gets replaced.
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
        channel->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      Reconnect(index);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string all;
      for (const auto& e : last_errors) {
        if (!e.empty()) all += (all.empty() ? "" : "; ") + e;
      }
      return Status::Unavailable("kvpd " + what + ": no leader reachable (last: " + all + ")");
    }
    index = (index + 1) % addresses_.size();
    if (index == 0 || addresses_.size() == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 * (attempt + 1), 500)));
    }
  }
}

Result<uint64_t> PdClient::GetTs() {
  BRIX_ASSIGN_OR_RETURN(GetTsResponse resp, GetTsAndRegionVersion());
  return resp.ts();
}

Result<GetTsResponse> PdClient::GetTsAndRegionVersion(uint32_t count) {
  GetTsResponse resp;
  BRIX_RETURN_IF_ERROR(Call("GetTs", [&](PD::Stub& s, grpc::ClientContext& c) {
    GetTsRequest req;
    req.set_count(count);
    return s.GetTs(&c, req, &resp);
  }));
  return resp;
}

Result<uint64_t> PdClient::RegisterStore(const std::string& address, uint64_t store_id) {
  RegisterStoreResponse resp;
  BRIX_RETURN_IF_ERROR(Call("RegisterStore", [&](PD::Stub& s, grpc::ClientContext& c) {
    RegisterStoreRequest req;
    req.set_address(address);
    req.set_store_id(store_id);
    return s.RegisterStore(&c, req, &resp);
  }));
  return resp.store_id();
}

Result<HeartbeatResponse> PdClient::Heartbeat(uint64_t store_id, uint64_t resolved_ts,
                                              uint64_t gc_pause_epoch) {
  HeartbeatResponse resp;
  BRIX_RETURN_IF_ERROR(Call("Heartbeat", [&](PD::Stub& s, grpc::ClientContext& c) {
    HeartbeatRequest req;
    req.set_store_id(store_id);
    req.set_resolved_ts(resolved_ts);
    req.set_gc_pause_epoch(gc_pause_epoch);
    return s.Heartbeat(&c, req, &resp);
  }));
  return resp;
}

Result<std::vector<Store>> PdClient::GetStores() {
  GetStoresResponse resp;
  BRIX_RETURN_IF_ERROR(Call("GetStores", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.GetStores(&c, GetStoresRequest(), &resp);
  }));
  return std::vector<Store>(resp.stores().begin(), resp.stores().end());
}

Result<std::vector<Region>> PdClient::GetRegions(const std::string& start, const std::string& end) {
  GetRegionsResponse resp;
  BRIX_RETURN_IF_ERROR(Call("GetRegions", [&](PD::Stub& s, grpc::ClientContext& c) {
    GetRegionsRequest req;
    req.set_start_key(start);
    req.set_end_key(end);
    return s.GetRegions(&c, req, &resp);
  }));
  return std::vector<Region>(resp.regions().begin(), resp.regions().end());
}

Result<SplitRegionResponse> PdClient::SplitRegion(const std::string& key) {
  SplitRegionResponse resp;
  BRIX_RETURN_IF_ERROR(Call("SplitRegion", [&](PD::Stub& s, grpc::ClientContext& c) {
    SplitRegionRequest req;
    req.set_split_key(key);
    return s.SplitRegion(&c, req, &resp);
  }));
  return resp;
}

Result<int64_t> PdClient::AllocTableId(const std::string& db, const std::string& table) {
  AllocTableIdResponse resp;
  BRIX_RETURN_IF_ERROR(Call("AllocTableId", [&](PD::Stub& s, grpc::ClientContext& c) {
    AllocTableIdRequest req;
    req.set_db(db);
    req.set_name(table);
    return s.AllocTableId(&c, req, &resp);
  }));
  return resp.table_id();
}

Result<uint64_t> PdClient::UpdateServiceSafePoint(const std::string& service, uint64_t ts,
                                                  int64_t ttl_seconds) {
  ServiceSafePointResponse resp;
  BRIX_RETURN_IF_ERROR(Call("UpdateServiceSafePoint", [&](PD::Stub& s, grpc::ClientContext& c) {
    ServiceSafePointRequest req;
    req.set_service(service);
    req.set_ts(ts);
    req.set_ttl_seconds(ttl_seconds);
    return s.UpdateServiceSafePoint(&c, req, &resp);
  }));
  return resp.min_service_safepoint();
}

Result<uint64_t> PdClient::GetGcSafePoint() {
  GetGcSafePointResponse resp;
  BRIX_RETURN_IF_ERROR(Call("GetGcSafePoint", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.GetGcSafePoint(&c, GetGcSafePointRequest(), &resp);
  }));
  return resp.gc_safepoint();
}

Result<GcPauseResponse> PdClient::GcPause(const std::string& owner, std::chrono::seconds ttl) {
  GcPauseResponse resp;
  BRIX_RETURN_IF_ERROR(Call("GcPause", [&](PD::Stub& s, grpc::ClientContext& c) {
    GcPauseRequest req;
    req.set_owner(owner);
    req.set_ttl_seconds(ttl.count());
    return s.GcPause(&c, req, &resp);
  }));
  return resp;
}

Result<uint64_t> PdClient::GetClusterId() {
  GetClusterInfoResponse resp;
  BRIX_RETURN_IF_ERROR(Call("GetClusterInfo", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.GetClusterInfo(&c, GetClusterInfoRequest(), &resp);
  }));
  return resp.cluster_id();
}

Result<uint64_t> PdClient::AdvanceTs(uint64_t min_ts) {
  AdvanceTsRequest req;
  req.set_min_ts(min_ts);
  AdvanceTsResponse resp;
  BRIX_RETURN_IF_ERROR(Call("AdvanceTs", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.AdvanceTs(&c, req, &resp);
  }));
  return resp.ts();
}

}  // namespace brix::cluster
