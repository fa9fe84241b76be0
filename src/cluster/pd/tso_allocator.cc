#include "cluster/pd/tso_allocator.h"

#include <algorithm>

#include "common/tso.h"

namespace brix::cluster {

TsoAllocator::TsoAllocator(Persist persist, std::chrono::milliseconds window, ClockMs now_ms,
                           std::function<void()> on_fenced)
    : persist_(std::move(persist)),
      window_(std::max(window, std::chrono::milliseconds(1))),  // a mark above the ts, always
      now_ms_(std::move(now_ms)),
      on_fenced_(std::move(on_fenced)) {}

Status TsoAllocator::Start(uint64_t persisted, int64_t revision) {
  uint64_t term = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    term = ++term_;
    high_water_ = 0;  // serve nothing until the new mark is persisted
    raising_ = false;
  }
  raised_.notify_all();  // waiters of an earlier term re-read and find nothing to serve
  const uint64_t physical = std::max(now_ms_(), persisted + 1);
  const uint64_t mark = physical + static_cast<uint64_t>(window_.count());
  Result<int64_t> new_revision = persist_(mark, revision);
  if (!new_revision.ok()) return new_revision.status().WithContext("persist TSO high-water mark");
  std::lock_guard<std::mutex> lock(mu_);
  if (term != term_) return Status::Unavailable("kvpd: TSO restarted meanwhile");
  physical_ = physical;
  logical_ = 0;
  key_revision_ = *new_revision;
  high_water_ = mark;
  return Status::OK();
}

Result<uint64_t> TsoAllocator::Next(uint32_t count) {
  uint64_t n = std::max<uint32_t>(1, count);
  if (n > kTsMaxLogical) return Status::InvalidArgument("count too large");
  return Issue(n, 0);
}

Result<uint64_t> TsoAllocator::AdvancePast(uint64_t min_ts) {
  return Issue(1, std::max<uint64_t>(min_ts, 1));
}

uint64_t TsoAllocator::high_water_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return high_water_;
}

Result<uint64_t> TsoAllocator::Issue(uint64_t count, uint64_t min_ts) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (high_water_ == 0) return Status::Unavailable("kvpd: TSO not started");
    uint64_t physical = physical_;
    uint64_t logical = logical_;
    if (min_ts > 0) {
      if (ComposeTs(physical, logical) <= min_ts) {
        physical = TsPhysicalMs(min_ts) + 1;  // the next ms is above every ts of min_ts's
        logical = 0;
      }
    } else if (uint64_t now = now_ms_(); now > physical) {
      physical = now;
      logical = 0;
    }
    if (logical + count > kTsMaxLogical) {  // logical space of this millisecond used up
      ++physical;
      logical = 0;
    }
    if (physical < high_water_) {
      physical_ = physical;
      logical_ = logical + count;
      return ComposeTs(physical_, logical_);
    }
    BRIX_RETURN_IF_ERROR(RaiseLocked(lock, physical));
  }
}

Status TsoAllocator::RaiseLocked(std::unique_lock<std::mutex>& lock, uint64_t physical) {
  const uint64_t term = term_;
  if (raising_) {  // another request is persisting a mark: wait for it, then look again
    raised_.wait(lock, [&] { return !raising_ || term_ != term; });
    return Status::OK();
  }
  raising_ = true;
  const uint64_t mark = physical + static_cast<uint64_t>(window_.count());
  const int64_t revision = key_revision_;
  lock.unlock();
  Result<int64_t> put = persist_(mark, revision);  // etcd I/O, without the lock
  lock.lock();
  if (term != term_) return Status::Unavailable("kvpd: TSO restarted meanwhile");
  raising_ = false;
  raised_.notify_all();
  if (!put.ok()) {
    on_fenced_();  // a failed compare-and-swap: another leader moved the mark
    return put.status().WithContext("persist TSO high-water mark");
  }
  key_revision_ = *put;
  high_water_ = std::max(high_water_, mark);
  return Status::OK();
}

}  // namespace brix::cluster
