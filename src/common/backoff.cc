#include "common/backoff.h"

#include <algorithm>
#include <cmath>

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

}  // namespace brix
