// Jittered exponential backoff, shared by every retry loop in brix (Azure HTTP requests, token
// fetches, the storage-level retry wrapper).
//
// Delay before retry n (n = 1 for the first retry) = base × 2^(n-1) × jitter, jitter uniform in
// [0.8, 1.3], capped at max_delay — the Azure SDK's policy (its default retry options). A
// server hint (Retry-After) replaces the computed delay, still capped.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <random>

namespace brix {

struct BackoffOptions {
  int max_attempts = 6;  // tries in total, the first included
  std::chrono::milliseconds base_delay{800};
  std::chrono::milliseconds max_delay{60'000};
};

class Backoff {
 public:
  explicit Backoff(BackoffOptions options, uint64_t seed = std::random_device{}());

  const BackoffOptions& options() const { return options_; }
  // True if attempt number `attempt` (1-based, the one that just failed) may be followed by
  // another.
  bool ShouldRetry(int attempt) const { return attempt < options_.max_attempts; }
  // The delay before the try after `attempt`. Thread-safe.
  std::chrono::milliseconds DelayAfter(int attempt,
                                       std::optional<std::chrono::milliseconds> server_hint = {});

 private:
  BackoffOptions options_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

}  // namespace brix
