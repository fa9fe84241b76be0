// TsoAllocator: kvpd's timestamp oracle (ts layout: common/tso.h).
//
// Guarantees, across restarts and leader changes:
// - Every ts it returns is greater than every ts it returned before (strictly monotonic), and
//   greater than every ts any earlier leader returned.
// - It never returns a ts whose physical part is at or above the persisted high-water mark: it
//   serves only below a mark that etcd already holds. When the next ts would reach the mark, the
//   mark is first raised (to that physical ms + `window`) by compare-and-swap on the key's
//   revision, so a deposed leader's raise fails (and it stops serving: `on_fenced`).
// - A new leader starts at max(now, persisted mark + 1) after raising the mark above that.
//
// Locking: one mutex (mu_) guards the whole TSO state (physical, logical, high water, key
// revision, term, raise-in-flight). No etcd I/O happens while it is held: a raise is
// "reserve, persist, publish":
//   1. under mu_: mark raising_ = true and note (mark, key revision, term);
//   2. without mu_: the compare-and-swap write of the mark to etcd (`persist`);
//   3. under mu_: raising_ = false; on success publish high_water_ = mark (if the term is still
//      the same) and wake the waiters.
// Requests that meanwhile need a higher mark wait on a condition variable for that raise instead
// of starting their own; requests that fit below the current mark are served at once, even
// while a raise is in flight. Each request re-reads the state after waiting, so monotonicity
// holds however the steps of concurrent requests interleave. Start() bumps the term, so a raise
// still in flight from an earlier leadership cannot publish into the new one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/result.h"

namespace brix::cluster {

class TsoAllocator {
 public:
  // Writes `mark` as the high-water mark iff the key is still at `revision` (0 = absent);
  // returns the key's new revision.
  using Persist = std::function<Result<int64_t>(uint64_t mark, int64_t revision)>;
  using ClockMs = std::function<uint64_t()>;  // unix ms

  TsoAllocator(Persist persist, std::chrono::milliseconds window, ClockMs now_ms,
               std::function<void()> on_fenced);

  // On winning an election: `persisted` is the mark read from etcd (0 = none) at key revision
  // `revision`. Persists a new mark above it (no lock held) and then starts serving above it.
  [[nodiscard]] Status Start(uint64_t persisted, int64_t revision);

  // The last of `count` consecutive timestamps (1 ≤ count ≤ kTsMaxLogical; 0 counts as 1).
  [[nodiscard]] Result<uint64_t> Next(uint32_t count);
  // A fresh ts; from now on every ts is greater than `min_ts` (restores: data arrive with
  // another cluster's commit timestamps).
  [[nodiscard]] Result<uint64_t> AdvancePast(uint64_t min_ts);

  // The published (persisted) high-water mark, physical ms. For tests and logs.
  uint64_t high_water_ms() const;

 private:
  // Serves one request: `min_ts` > 0 for AdvancePast, else the clock moves the physical part.
  Result<uint64_t> Issue(uint64_t count, uint64_t min_ts);
  // Requires `lock` on mu_. Returns once a mark above `physical` is published, or another
  // request's raise finished (the caller re-reads the state), or the raise failed.
  Status RaiseLocked(std::unique_lock<std::mutex>& lock, uint64_t physical);

  const Persist persist_;
  const std::chrono::milliseconds window_;
  const ClockMs now_ms_;
  const std::function<void()> on_fenced_;

  mutable std::mutex mu_;
  std::condition_variable raised_;  // signalled when a raise ends
  uint64_t physical_ = 0;
  uint64_t logical_ = 0;
  uint64_t high_water_ = 0;  // 0 until Start(): nothing is served
  int64_t key_revision_ = 0;
  uint64_t term_ = 0;  // bumped by Start()
  bool raising_ = false;
};

}  // namespace brix::cluster
