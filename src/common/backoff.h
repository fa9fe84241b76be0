// Jittered exponential backoff, shared by every retry loop in brix (Azure HTTP requests, token
// fetches, the storage-level retry wrapper).
//
// Delay before retry n (n = 1 for the first retry) = base × 2^(n-1) × jitter, jitter uniform in
// [0.8, 1.3], capped at max_delay — the Azure SDK's policy (its default retry options). A
// server hint (Retry-After) replaces the computed delay, still capped.
//
// RetryWithBackoff is the one retry loop on it: try, and on a retryable failure sleep the delay
// and try again, until success, a final error or max_attempts tries. Loops that need a server
// hint per try (the Azure driver's Retry-After) keep their own loop on Backoff.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <random>

#include "common/status.h"

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

// Whether a failed try may be repeated. RetryAnyError says yes to every error.
using RetryablePredicate = std::function<bool(const Status&)>;
inline bool RetryAnyError(const Status&) { return true; }

// Runs `attempt(n)` (n = 1, 2, ... the try's number) until it returns OK, returns an error
// `retryable` rejects, or backoff.options().max_attempts tries have failed; returns that last
// status. Between tries it calls `on_failure(n, status)` (e.g. to log the failure) and sleeps
// backoff.DelayAfter(n). A try that must refresh state first (a region map, a stub) does so when
// n > 1.
[[nodiscard]] Status RetryWithBackoff(
    Backoff& backoff, const std::function<Status(int)>& attempt,
    const RetryablePredicate& retryable = RetryAnyError,
    const std::function<void(int, const Status&)>& on_failure = {});
// The same with a fresh Backoff of `options`.
[[nodiscard]] Status RetryWithBackoff(
    const BackoffOptions& options, const std::function<Status(int)>& attempt,
    const RetryablePredicate& retryable = RetryAnyError,
    const std::function<void(int, const Status&)>& on_failure = {});

}  // namespace brix
