// WorkQueue: client-go's rate-limited work queue, small. Keys ("namespace/name") wait until
// due; a key is never handed to two workers at once, and a key added while it is being worked
// on is processed again afterwards. Failures requeue with per-key exponential backoff
// (base · 2^failures, capped), which Forget resets.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace brix::controller {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  WorkQueue(std::chrono::milliseconds base_delay, std::chrono::milliseconds max_delay);

  // Due now (or earlier, if already queued with a later time).
  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // AddAfter with the key's backoff, which doubles each time until Forget.
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);

  // Blocks until a key is due (returns it, marked in progress) or ShutDown (nullopt).
  std::optional<std::string> Get();
  // Ends the work on `key` (taken by Get); re-adds it if it was added meanwhile.
  void Done(const std::string& key);
  void ShutDown();
  // Keys waiting (due or not), for metrics.
  size_t Depth();

 private:
  void AddAtLocked(const std::string& key, Clock::time_point when);

  const std::chrono::milliseconds base_, max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> due_;       // queued keys
  std::set<std::string> processing_;                   // handed out, not Done yet
  std::map<std::string, Clock::time_point> deferred_;  // added while processing
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
};

}  // namespace brix::controller
