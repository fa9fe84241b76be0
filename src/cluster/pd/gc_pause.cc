#include "cluster/pd/gc_pause.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/pd/etcd_layout.h"
#include "etcd/etcd_client.h"

namespace brix::cluster {

Status GcPauses::Load() {
  pauses_.clear();
  honoured_.clear();
  BRIX_ASSIGN_OR_RETURN(auto kvs, etcd_->GetPrefix(prefix_));
  for (const auto& kv : kvs.kvs) {
    Pause p;
    p.epoch = static_cast<uint64_t>(kv.create_revision);
    BRIX_ASSIGN_OR_RETURN(p.expire_ms, pd_layout::ParseU64(kv.key, kv.value));
    pauses_[kv.key.substr(prefix_.size())] = p;
  }
  return Status::OK();
}

Result<uint64_t> GcPauses::Hold(const std::string& owner, int64_t ttl_seconds, uint64_t now_ms) {
  if (owner.empty()) return Status::InvalidArgument("GC pause: owner must not be empty");
  uint64_t expire = now_ms + static_cast<uint64_t>(ttl_seconds) * 1000;
  auto it = pauses_.find(owner);
  if (it != pauses_.end() && it->second.expire_ms > now_ms) {
    BRIX_RETURN_IF_ERROR(etcd_->Put(prefix_ + owner, std::to_string(expire)).status());
    it->second.expire_ms = expire;
    return it->second.epoch;
  }
  // New (or lapsed: a new epoch, so every store must confirm it again). The create revision
  // of the key is the epoch; delete first so a lapsed pause's key is re-created.
  BRIX_RETURN_IF_ERROR(etcd_->Delete(prefix_ + owner).status());
  BRIX_ASSIGN_OR_RETURN(int64_t rev, etcd_->Put(prefix_ + owner, std::to_string(expire)));
  pauses_[owner] = {static_cast<uint64_t>(rev), expire};
  spdlog::info("kvpd: GC paused by {} (epoch {})", owner, rev);
  return static_cast<uint64_t>(rev);
}

Status GcPauses::Release(const std::string& owner) {
  BRIX_RETURN_IF_ERROR(etcd_->Delete(prefix_ + owner).status());
  if (pauses_.erase(owner) > 0) spdlog::info("kvpd: GC pause of {} released", owner);
  return Status::OK();
}

uint64_t GcPauses::CurrentEpoch(uint64_t now_ms) {
  uint64_t epoch = 0;
  for (auto it = pauses_.begin(); it != pauses_.end();) {
    if (it->second.expire_ms <= now_ms) {
      spdlog::warn("kvpd: GC pause of {} expired unrefreshed", it->first);
      etcd_->Delete(prefix_ + it->first).status().IgnoreError();  // Load() drops it again
      it = pauses_.erase(it);
      continue;
    }
    epoch = std::max(epoch, it->second.epoch);
    ++it;
  }
  return epoch;
}

std::vector<uint64_t> GcPauses::Pending(uint64_t epoch, const std::vector<uint64_t>& stores) const {
  std::vector<uint64_t> pending;
  for (uint64_t id : stores) {
    auto it = honoured_.find(id);
    if (it == honoured_.end() || it->second < epoch) pending.push_back(id);
  }
  return pending;
}

}  // namespace brix::cluster
