// PdClient: talks to the kvpd leader among one or more kvpd addresses ("h1:p1,h2:p2").
//
// A call that reaches a non-leader, or a kvpd that is down, is retried on the next address with
// a short backoff until `failover_timeout` passes, so a leader change is invisible to callers
// other than as a few seconds' delay. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/proto/cluster.grpc.pb.h"
#include "common/result.h"
#include "net/grpc_tls.h"

namespace brix::cluster {

class PdClient {
 public:
  // Channels use the process's client TLS configuration (net/grpc_tls.h), or `tls` if given
  // (a process that talks to a cluster other than its own, e.g. `brix playground up`).
  [[nodiscard]] static Result<std::unique_ptr<PdClient>> Connect(
      const std::string& addresses,
      std::chrono::milliseconds failover_timeout = std::chrono::seconds(15),
      const net::TlsConfig* tls = nullptr);

  // The credentials of this client's channels: KvClient and BR use them for kvnode channels.
  const std::shared_ptr<grpc::ChannelCredentials>& channel_credentials() const {
    return credentials_;
  }

  [[nodiscard]] Result<uint64_t> GetTs();
  // A ts and the region-map version current when it was issued (for nodes). With count > 1 the
  // ts is the last of `count` consecutive ones (cluster/client/tso_batcher.h hands them out).
  [[nodiscard]] Result<GetTsResponse> GetTsAndRegionVersion(uint32_t count = 1);
  [[nodiscard]] Result<uint64_t> GetClusterId();
  // Every ts issued after this returns is greater than min_ts; returns a fresh one.
  [[nodiscard]] Result<uint64_t> AdvanceTs(uint64_t min_ts);
  [[nodiscard]] Result<uint64_t> RegisterStore(const std::string& address, uint64_t store_id);
  // `gc_pause_epoch`: the GC pause epoch the store honours (cluster/pd/gc_pause.h).
  [[nodiscard]] Result<HeartbeatResponse> Heartbeat(uint64_t store_id, uint64_t resolved_ts,
                                                    uint64_t gc_pause_epoch = 0);
  [[nodiscard]] Result<std::vector<Store>> GetStores();
  // Regions overlapping [start, end) (end "" = to the end), sorted by start key.
  [[nodiscard]] Result<std::vector<Region>> GetRegions(const std::string& start,
                                                       const std::string& end);
  [[nodiscard]] Result<SplitRegionResponse> SplitRegion(const std::string& key);
  // A new table id with its own empty region; never one handed out before, whatever the name.
  [[nodiscard]] Result<int64_t> AllocTableId(const std::string& db, const std::string& table);
  // ttl 0 removes the service safepoint. Returns the smallest live one.
  [[nodiscard]] Result<uint64_t> UpdateServiceSafePoint(const std::string& service, uint64_t ts,
                                                        int64_t ttl_seconds);
  [[nodiscard]] Result<uint64_t> GetGcSafePoint();
  // Holds (ttl > 0) or releases (ttl 0) `owner`'s GC pause (cluster/pd/gc_pause.h).
  [[nodiscard]] Result<GcPauseResponse> GcPause(const std::string& owner, std::chrono::seconds ttl);

 private:
  // The log-task RPCs' typed client (cluster/client/log_task_client.h) calls through Call().
  friend class LogTaskClient;
  PdClient() = default;
  // Runs `call` against the leader with failover.
  [[nodiscard]] Status Call(
      const std::string& what,
      const std::function<grpc::Status(PD::Stub&, grpc::ClientContext&)>& call);
  std::vector<std::string> addresses_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  // (Re)creates the channel and stub of addresses_[index].
  void Reconnect(size_t index);
  std::vector<std::shared_ptr<grpc::Channel>> channels_;  // one per address; guarded by mu_
  std::vector<std::shared_ptr<PD::Stub>> stubs_;          // guarded by mu_
  std::chrono::milliseconds failover_timeout_{};
  std::mutex mu_;
  size_t leader_ = 0;
};

}  // namespace brix::cluster
