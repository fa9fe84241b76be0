// GC pauses: kvpd's switch that keeps every kvnode from garbage-collecting while a restore or a
// PITR writes into the cluster (docs/backup.md; BR turns GC off on a restore target the same way).
//
// Why not a service safepoint: a restore writes versions with their original, old commit ts,
// far below the target's GC safepoint, which never moves back. GC at any safepoint above them
// drops a delete marker that is the newest version of its key, and a put of that key with an
// older ts that arrives later is then live again. Only "no GC at all" is safe.
//
// Contract:
// - A pause belongs to an owner (one restore run) and lives until released or until its TTL
//   passes unrefreshed (a killed restore does not switch GC off for good).
// - Pauses are stored in etcd: they survive kvpd restarts and leader changes.
// - The epoch of a pause is the etcd revision that created it; nodes are told the largest live
//   epoch (0 = GC allowed) in every heartbeat reply and echo in their next heartbeat the epoch
//   they honour. A node echoes an epoch only once no GC is running, and starts none while it
//   honours one; a restarted node runs no GC before its first heartbeat reply. So once every
//   registered store echoes an epoch ≥ a pause's epoch, no GC runs anywhere until it ends.
// Not thread-safe: kvpd calls it under the GC state lock (cluster/pd/gc_safepoints.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace brix::etcd {
class EtcdClient;
}

namespace brix::cluster {

class GcPauses {
 public:
  GcPauses(etcd::EtcdClient* etcd, std::string prefix) : etcd_(etcd), prefix_(std::move(prefix)) {}

  // Reloads the live pauses from etcd (on each election win); forgets the stores' echoes.
  [[nodiscard]] Status Load();
  // Creates or refreshes the owner's pause until now + ttl; returns its epoch.
  [[nodiscard]] Result<uint64_t> Hold(const std::string& owner, int64_t ttl_seconds,
                                      uint64_t now_ms);
  [[nodiscard]] Status Release(const std::string& owner);
  // The epoch nodes must honour now (0 = GC allowed); drops pauses whose TTL passed.
  uint64_t CurrentEpoch(uint64_t now_ms);
  // A store's heartbeat said it honours `epoch`.
  void RecordHonoured(uint64_t store_id, uint64_t epoch) { honoured_[store_id] = epoch; }
  // Of `stores`, those that do not yet honour `epoch`.
  std::vector<uint64_t> Pending(uint64_t epoch, const std::vector<uint64_t>& stores) const;

 private:
  struct Pause {
    uint64_t epoch = 0;
    uint64_t expire_ms = 0;
  };
  etcd::EtcdClient* etcd_;
  std::string prefix_;
  std::map<std::string, Pause> pauses_;
  std::map<uint64_t, uint64_t> honoured_;  // store → epoch it honours
};

}  // namespace brix::cluster
