// Leadership: kvpd's election through an etcd lease (the leader key holds the leader's address
// under its lease; cluster/pd/etcd_layout.h).
//
// A kvpd serves only while its etcd lease is surely alive. The lease is measured on the
// monotonic clock from the moment the grant or keepalive request was SENT (etcd starts the TTL
// no earlier than that), minus a safety margin; a slow reply or a wall-clock step never extends
// it. So an old leader stops serving before etcd can elect the next one.
//
// On each election win `on_elected` loads the cluster's state from etcd; only if it succeeds
// does this kvpd lead (otherwise it gives the lease back and campaigns again).
//
// Locking: the leader flag, the lease end and the stop flag are atomics read by any thread;
// the lease id is the campaign thread's alone. mu_ guards nothing but the wait for Stop() (the
// campaign loop's pauses and Wait()); no etcd I/O happens under it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "cluster/pd/pd_server.h"
#include "common/result.h"

namespace brix::etcd {
class EtcdClient;
}

namespace brix::cluster {

class Leadership {
 public:
  Leadership(etcd::EtcdClient* etcd, const PdOptions& options, std::function<Status()> on_elected);
  ~Leadership();  // Stop() and join

  void StartCampaign();  // the campaign thread
  // True while this kvpd leads and its lease is surely alive.
  bool Leading() const;
  // Another leader showed itself (a compare-and-swap on leader-owned state failed): stop serving
  // at once; the campaign loop notices and campaigns again.
  void StepDown() { leader_ = false; }
  // Ends the campaign (revoking the lease if leading, so the next leader need not wait).
  void Stop();
  // Blocks until Stop().
  void WaitStopped();
  void Join();

 private:
  using SteadyClock = std::chrono::steady_clock;
  void CampaignLoop();
  void TryBecomeLeader();
  SteadyClock::time_point LeaseEnd(SteadyClock::time_point sent) const;
  void DelayKeepAliveReplyForTest();

  etcd::EtcdClient* const etcd_;
  const PdOptions& options_;
  const std::function<Status()> on_elected_;

  std::atomic<bool> leader_{false};
  std::atomic<SteadyClock::time_point> valid_until_{SteadyClock::time_point{}};
  std::atomic<bool> stopping_{false};
  int64_t lease_ = 0;  // the campaign thread's
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
};

}  // namespace brix::cluster
