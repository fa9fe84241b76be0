// GcPauseHold: keeps GC paused on a cluster for as long as the object lives (the client side of
// cluster/pd/gc_pause.h). A restore or PITR takes one before it writes its first byte into the
// target and checks it before it publishes: data written while GC could run are not trusted.
//
// Acquire() pauses GC under `owner` and returns only once every registered store honours the
// pause (or fails naming the stores that do not). The pause is refreshed every ttl/5 on a
// thread; if a refresh finds that the pause lapsed (kvpd reports a new epoch) or no refresh
// succeeded within the TTL, Check() fails from then on. The destructor releases the pause
// (best effort: if that fails, the TTL ends it).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "cluster/client/pd_client.h"
#include "cluster/safepoints.h"
#include "common/periodic.h"
#include "common/result.h"

namespace brix::cluster {

struct GcPauseOptions {
  std::chrono::seconds ttl = kGcPauseTtl;  // how long GC stays paused if this process dies
  std::chrono::seconds wait{60};           // for every store to honour the pause
};

class GcPauseHold {
 public:
  [[nodiscard]] static Result<std::unique_ptr<GcPauseHold>> Acquire(PdClient& pd, std::string owner,
                                                                    GcPauseOptions options = {});
  ~GcPauseHold();
  // OK while GC has been paused without a gap since Acquire().
  [[nodiscard]] Status Check() const;
  const std::string& owner() const { return owner_; }

 private:
  GcPauseHold(PdClient& pd, std::string owner, GcPauseOptions options, uint64_t epoch);
  void Refresh();

  PdClient& pd_;
  const std::string owner_;
  const GcPauseOptions options_;
  const uint64_t epoch_;
  std::atomic<bool> lapsed_{false};
  std::atomic<int64_t> last_ok_ms_;  // steady clock
  std::unique_ptr<PeriodicTask> refresher_;
};

}  // namespace brix::cluster
