#include "common/rate_limiter.h"

#include <thread>

namespace brix {

RateLimiter::RateLimiter(double bytes_per_second)
    : rate_(bytes_per_second), next_(std::chrono::steady_clock::now()) {}

void RateLimiter::Acquire(uint64_t bytes) {
  if (rate_ <= 0 || bytes == 0) return;
  auto cost = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(static_cast<double>(bytes) / rate_));
  std::chrono::steady_clock::time_point start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    // An idle limiter does not bank credit: the schedule restarts from now.
    if (next_ < now) next_ = now;
    start = next_;
    next_ += cost;
  }
  // Wait for the end of our slot, so the bytes leave no faster than the rate.
  std::this_thread::sleep_until(start + cost);
}

}  // namespace brix
