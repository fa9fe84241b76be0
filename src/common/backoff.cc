#include "common/backoff.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace brix {

Backoff::Backoff(BackoffOptions options, uint64_t seed) : options_(options), rng_(seed) {}

std::chrono::milliseconds Backoff::DelayAfter(int attempt,
                                              std::optional<std::chrono::milliseconds> hint) {
  if (hint) return std::min(*hint, options_.max_delay);
  double jitter;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jitter = std::uniform_real_distribution<double>(0.8, 1.3)(rng_);
  }
  double exp = std::ldexp(1.0, std::clamp(attempt - 1, 0, 30));
  double ms = static_cast<double>(options_.base_delay.count()) * exp * jitter;
  ms = std::min(ms, static_cast<double>(options_.max_delay.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Status RetryWithBackoff(Backoff& backoff, const std::function<Status(int)>& attempt,
                        const RetryablePredicate& retryable,
                        const std::function<void(int, const Status&)>& on_failure) {
  for (int n = 1;; ++n) {
    Status s = attempt(n);
    if (s.ok() || !retryable(s) || !backoff.ShouldRetry(n)) return s;
    if (on_failure) on_failure(n, s);
    std::this_thread::sleep_for(backoff.DelayAfter(n));
  }
}

Status RetryWithBackoff(const BackoffOptions& options, const std::function<Status(int)>& attempt,
                        const RetryablePredicate& retryable,
                        const std::function<void(int, const Status&)>& on_failure) {
  Backoff backoff(options);
  return RetryWithBackoff(backoff, attempt, retryable, on_failure);
}

}  // namespace brix
