#include "cluster/client/gc_pause_hold.h"

#include <spdlog/spdlog.h>

#include "common/net_util.h"

namespace brix::cluster {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string JoinIds(const google::protobuf::RepeatedField<uint64_t>& ids) {
  std::string out;
  for (uint64_t id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out;
}

}  // namespace

Result<std::unique_ptr<GcPauseHold>> GcPauseHold::Acquire(PdClient& pd, std::string owner,
                                                          GcPauseOptions options) {
  BRIX_ASSIGN_OR_RETURN(GcPauseResponse first, pd.GcPause(owner, options.ttl));
  GcPauseResponse last = first;
  Status error;
  bool honoured = PollUntil(
      [&] {
        auto r = pd.GcPause(owner, options.ttl);
        if (!r.ok()) {
          error = r.status();
          return true;
        }
        last = *r;
        return last.epoch() != first.epoch() || last.pending_stores().empty();
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(options.wait),
      std::chrono::milliseconds(100));
  auto release = [&] { pd.GcPause(owner, std::chrono::seconds(0)).status().IgnoreError(); };
  if (!error.ok()) {
    release();
    return error.WithContext("pausing GC on the target");
  }
  if (last.epoch() != first.epoch()) {
    release();
    return Status::Unavailable("pausing GC on the target: the pause lapsed while waiting");
  }
  if (!honoured) {
    release();
    return Status::Unavailable(
        "pausing GC on the target: store(s) " + JoinIds(last.pending_stores()) +
        " did not confirm the pause within " + std::to_string(options.wait.count()) +
        " s; restore needs every store up");
  }
  return std::unique_ptr<GcPauseHold>(
      new GcPauseHold(pd, std::move(owner), options, first.epoch()));
}

GcPauseHold::GcPauseHold(PdClient& pd, std::string owner, GcPauseOptions options, uint64_t epoch)
    : pd_(pd), owner_(std::move(owner)), options_(options), epoch_(epoch), last_ok_ms_(SteadyMs()) {
  auto every = std::max<std::chrono::milliseconds>(std::chrono::seconds(1), options_.ttl / 5);
  refresher_ = std::make_unique<PeriodicTask>(every, [this] { Refresh(); });
}

GcPauseHold::~GcPauseHold() {
  refresher_.reset();
  auto s = pd_.GcPause(owner_, std::chrono::seconds(0));
  if (!s.ok()) spdlog::warn("releasing the GC pause {}: {}", owner_, s.status().ToString());
}

void GcPauseHold::Refresh() {
  auto r = pd_.GcPause(owner_, options_.ttl);
  if (!r.ok()) {
    spdlog::warn("refreshing the GC pause {}: {}", owner_, r.status().ToString());
    return;
  }
  if (r->epoch() != epoch_) lapsed_ = true;  // kvpd dropped it: GC may have run since
  last_ok_ms_ = SteadyMs();
}

Status GcPauseHold::Check() const {
  if (lapsed_.load()) {
    return Status::Aborted("the GC pause " + owner_ +
                           " lapsed while data was written; GC may have run on the target");
  }
  if (SteadyMs() - last_ok_ms_.load() >= options_.ttl.count() * 1000) {
    return Status::Aborted("the GC pause " + owner_ + " was not refreshed within its " +
                           std::to_string(options_.ttl.count()) + " s TTL");
  }
  return Status::OK();
}

}  // namespace brix::cluster
