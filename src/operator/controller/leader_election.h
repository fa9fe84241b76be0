// LeaderElector: one active `brix operator` among its replicas, through a coordination.k8s.io/v1
// Lease, as client-go's leaderelection package does it (so it behaves the same against any
// Kubernetes API server, brixd included):
//
// - The record is the Lease's spec: holderIdentity, leaseDurationSeconds, acquireTime,
//   renewTime (MicroTime), leaseTransitions. Writes are optimistic: a create, or a PUT carrying
//   the resourceVersion read; a concurrent write (409) loses the attempt, never overwrites.
// - Expiry is judged on this process's own clock (steady): a lease held by another is taken only
//   when its record has not changed for lease_duration since this process first saw it, so clock
//   skew between replicas does not matter (client-go's observedTime).
// - Defaults are client-go's: lease 15 s, renew deadline 10 s, retry period 2 s.
// - The leader renews every retry period; when no renewal succeeded for renew_deadline it has
//   lost the lease: `on_lost` runs (brix operator stops its controllers and exits non-zero, so
//   its Deployment restarts it as a candidate, as client-go's OnStoppedLeading does).
// - Release() (a clean stop) writes an empty holder with a 1 s duration, so a standby takes over
//   at once instead of after the lease expires (client-go's ReleaseOnCancel).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "operator/client/api_client.h"

namespace brix::controller {

struct LeaderElectionOptions {
  std::string ns = "brix-system";
  std::string name = "brix-operator";
  std::string identity;  // unique per process: hostname + "_" + a random suffix
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

class LeaderElector {
 public:
  // `client` must outlive the elector.
  LeaderElector(client::ApiClient* client, LeaderElectionOptions options);
  ~LeaderElector();  // stops renewing (without releasing)

  // One attempt to acquire or renew; true when this identity holds the lease afterwards.
  [[nodiscard]] Result<bool> TryAcquireOrRenew();

  // Tries every retry period until this identity leads (true) or `wait` returns false (a stop
  // was asked for while it waited up to the given time).
  bool Acquire(const std::function<bool(std::chrono::milliseconds)>& wait);

  // Renews on a thread of its own; `on_lost` runs once, on that thread, if the lease is lost.
  void KeepRenewing(std::function<void()> on_lost);

  // Stops renewing and, if still the holder, gives the lease up.
  void Release();

  const LeaderElectionOptions& options() const { return options_; }

 private:
  client::ApiClient* client_;
  LeaderElectionOptions options_;
  // The record last seen, and when (this process's clock) it was first seen so.
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread renewer_;
};

// A default identity: the host name and a random suffix.
std::string DefaultLeaderIdentity();

}  // namespace brix::controller
