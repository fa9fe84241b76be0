// GcSafePoints: kvpd's garbage-collection state — the GC safepoint, the services' safepoints
// (backups, log tasks: names in cluster/safepoints.h) and the GC pauses (cluster/pd/gc_pause.h).
// Valid while this kvpd leads; Load() reloads it on each election win. Keys and values:
// cluster/pd/etcd_layout.h.
//
// GC safepoint = min(now - gc_life_time, every live service safepoint), never decreasing; a
// service safepoint below it is refused.
//
// Locking: one mutex (mu_) guards the GC safepoint, the service safepoints and the GC pauses,
// and is held across their etcd writes, so a safepoint is checked against the GC safepoint and
// persisted as one step. Another concern whose etcd transaction also changes a service safepoint
// (log tasks) does it through a Txn, which holds mu_ for the transaction. Lock order: the log
// tasks' lock, then this one; never the other way.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/pd/etcd_layout.h"
#include "cluster/pd/gc_pause.h"
#include "common/result.h"

namespace brix::etcd {
class EtcdClient;
}

namespace brix::cluster {

class GcSafePoints {
 public:
  GcSafePoints(etcd::EtcdClient* etcd, std::chrono::seconds gc_life_time);

  [[nodiscard]] Status Load();

  // Moves the GC safepoint as far as it may go now (dropping expired service safepoints) and
  // returns it.
  uint64_t Advance();
  // The GC safepoint as it stands (for metrics).
  uint64_t gc_safepoint() const {
    std::lock_guard<std::mutex> lock(mu_);
    return gc_safepoint_;
  }
  // Sets (ttl > 0) or removes `service`'s safepoint; returns the smallest live one (0 = none).
  [[nodiscard]] Result<uint64_t> UpdateService(const std::string& service, uint64_t ts,
                                               int64_t ttl_seconds);

  struct PauseState {
    uint64_t epoch = 0;
    std::vector<uint64_t> pending_stores;
  };
  // Holds (ttl > 0) or releases `owner`'s GC pause; `stores`: every registered store.
  [[nodiscard]] Result<PauseState> Pause(const std::string& owner, int64_t ttl_seconds,
                                         const std::vector<uint64_t>& stores);

  struct HeartbeatAnswer {
    uint64_t gc_safepoint = 0;
    uint64_t gc_pause_epoch = 0;  // the epoch to honour now (0 = GC allowed)
  };
  // A store's heartbeat: it honours GC pause epoch `honoured`.
  HeartbeatAnswer Heartbeat(uint64_t store_id, uint64_t honoured);

  using Puts = std::vector<std::pair<std::string, std::string>>;
  using Deletes = std::vector<std::string>;

  // A service-safepoint change made in another concern's etcd transaction. Holds mu_ while it
  // lives: add the change's key writes, commit the transaction, then call Committed().
  class Txn {
   public:
    uint64_t gc_safepoint() const { return owner_->gc_safepoint_; }
    // FailedPrecondition (naming both) if `ts` is below the GC safepoint.
    [[nodiscard]] Status CheckNotBelowGc(uint64_t ts) const;
    void Set(const std::string& service, uint64_t ts, int64_t ttl_seconds, Puts* puts);
    void Remove(const std::string& service, Deletes* deletes);
    // The transaction committed: the change takes effect in memory too.
    void Committed();

   private:
    friend class GcSafePoints;
    explicit Txn(GcSafePoints* owner) : owner_(owner), lock_(owner->mu_) {}
    GcSafePoints* owner_;
    std::unique_lock<std::mutex> lock_;
    std::string service_;
    std::optional<pd_layout::ServiceSafePointValue> set_;  // nullopt: remove
    bool changed_ = false;
  };
  Txn Begin() { return Txn(this); }

 private:
  // Require mu_.
  uint64_t AdvanceLocked();
  Status CheckNotBelowGcLocked(uint64_t ts) const;

  etcd::EtcdClient* const etcd_;
  const std::chrono::seconds gc_life_time_;

  mutable std::mutex mu_;
  uint64_t gc_safepoint_ = 0;
  std::map<std::string, pd_layout::ServiceSafePointValue> services_;
  GcPauses pauses_;
};

}  // namespace brix::cluster
