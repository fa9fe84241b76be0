#include "cluster/pd/gc_safepoints.h"

#include <algorithm>

#include "common/time_util.h"
#include "common/tso.h"
#include "etcd/etcd_client.h"

namespace brix::cluster {
namespace {

namespace layout = pd_layout;

uint64_t NowMs() { return static_cast<uint64_t>(UnixMillis()); }

uint64_t ExpiryAfter(int64_t ttl_seconds) {
  return NowMs() + static_cast<uint64_t>(ttl_seconds) * 1000;
}

}  // namespace

GcSafePoints::GcSafePoints(etcd::EtcdClient* etcd, std::chrono::seconds gc_life_time)
    : etcd_(etcd),
      gc_life_time_(gc_life_time),
      pauses_(etcd, std::string(layout::kGcPausePrefix)) {}

Status GcSafePoints::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  BRIX_ASSIGN_OR_RETURN(auto gc, etcd_->Get(layout::kGcKey));
  gc_safepoint_ = 0;
  if (gc) {
    BRIX_ASSIGN_OR_RETURN(gc_safepoint_, layout::ParseU64(layout::kGcKey, gc->value));
  }
  services_.clear();
  BRIX_ASSIGN_OR_RETURN(auto sps, etcd_->GetPrefix(layout::kServiceSafePointPrefix));
  for (const auto& kv : sps.kvs) {
    BRIX_ASSIGN_OR_RETURN(auto sp, layout::ParseServiceSafePoint(kv.key, kv.value));
    services_[kv.key.substr(layout::kServiceSafePointPrefix.size())] = sp;
  }
  return pauses_.Load();
}

uint64_t GcSafePoints::Advance() {
  std::lock_guard<std::mutex> lock(mu_);
  return AdvanceLocked();
}

uint64_t GcSafePoints::AdvanceLocked() {
  uint64_t now = NowMs();
  uint64_t life_ms = static_cast<uint64_t>(gc_life_time_.count()) * 1000;
  uint64_t candidate = now > life_ms ? ComposeTs(now - life_ms, 0) : 0;
  for (auto it = services_.begin(); it != services_.end();) {
    if (it->second.expire_ms <= now) {
      etcd_->Delete(layout::ServiceSafePointKey(it->first)).status().IgnoreError();
      it = services_.erase(it);
      continue;
    }
    candidate = std::min(candidate, it->second.ts);
    ++it;
  }
  if (candidate > gc_safepoint_ && etcd_->Put(layout::kGcKey, std::to_string(candidate)).ok()) {
    gc_safepoint_ = candidate;
  }
  return gc_safepoint_;
}

Status GcSafePoints::CheckNotBelowGcLocked(uint64_t ts) const {
  if (ts >= gc_safepoint_) return Status::OK();
  return Status::FailedPrecondition("service safepoint " + std::to_string(ts) +
                                    " is below the GC safepoint " + std::to_string(gc_safepoint_));
}

Result<uint64_t> GcSafePoints::UpdateService(const std::string& service, uint64_t ts,
                                             int64_t ttl_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ttl_seconds <= 0) {
    services_.erase(service);
    etcd_->Delete(layout::ServiceSafePointKey(service)).status().IgnoreError();
  } else {
    BRIX_RETURN_IF_ERROR(CheckNotBelowGcLocked(ts));
    layout::ServiceSafePointValue sp{ts, ExpiryAfter(ttl_seconds)};
    BRIX_RETURN_IF_ERROR(
        etcd_->Put(layout::ServiceSafePointKey(service), layout::FormatServiceSafePoint(sp))
            .status());
    services_[service] = sp;
  }
  uint64_t min = 0;
  for (const auto& [name, sp] : services_) min = min == 0 ? sp.ts : std::min(min, sp.ts);
  return min;
}

Result<GcSafePoints::PauseState> GcSafePoints::Pause(const std::string& owner, int64_t ttl_seconds,
                                                     const std::vector<uint64_t>& stores) {
  std::lock_guard<std::mutex> lock(mu_);
  PauseState state;
  if (ttl_seconds <= 0) {
    BRIX_RETURN_IF_ERROR(pauses_.Release(owner));
    return state;
  }
  BRIX_ASSIGN_OR_RETURN(state.epoch, pauses_.Hold(owner, ttl_seconds, NowMs()));
  state.pending_stores = pauses_.Pending(state.epoch, stores);
  return state;
}

GcSafePoints::HeartbeatAnswer GcSafePoints::Heartbeat(uint64_t store_id, uint64_t honoured) {
  std::lock_guard<std::mutex> lock(mu_);
  HeartbeatAnswer answer;
  answer.gc_safepoint = AdvanceLocked();
  pauses_.RecordHonoured(store_id, honoured);
  answer.gc_pause_epoch = pauses_.CurrentEpoch(NowMs());
  return answer;
}

Status GcSafePoints::Txn::CheckNotBelowGc(uint64_t ts) const {
  return owner_->CheckNotBelowGcLocked(ts);
}

void GcSafePoints::Txn::Set(const std::string& service, uint64_t ts, int64_t ttl_seconds,
                            Puts* puts) {
  service_ = service;
  set_ = layout::ServiceSafePointValue{ts, ExpiryAfter(ttl_seconds)};
  changed_ = true;
  puts->push_back({layout::ServiceSafePointKey(service), layout::FormatServiceSafePoint(*set_)});
}

void GcSafePoints::Txn::Remove(const std::string& service, Deletes* deletes) {
  service_ = service;
  set_.reset();
  changed_ = true;
  deletes->push_back(layout::ServiceSafePointKey(service));
}

void GcSafePoints::Txn::Committed() {
  if (!changed_) return;
  if (set_) {
    owner_->services_[service_] = *set_;
  } else {
    owner_->services_.erase(service_);
  }
}

}  // namespace brix::cluster
