// RateLimiter: holds a stream of bytes to a steady rate (BR's --ratelimit, MiB/s per node).
//
// Pacing, not a bucket with burst: each Acquire(n) reserves the next n/rate seconds of the
// schedule and sleeps until that slot has started, so N bytes over any long run take N/rate
// seconds however the callers interleave. Thread-safe; one limiter is shared by every stream of
// one node's request.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace brix {

class RateLimiter {
 public:
  // bytes_per_second <= 0: unlimited.
  explicit RateLimiter(double bytes_per_second);
  // Blocks until `bytes` may pass.
  void Acquire(uint64_t bytes);
  bool limited() const { return rate_ > 0; }

 private:
  double rate_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point next_;  // when the schedule is free again
};

}  // namespace brix
