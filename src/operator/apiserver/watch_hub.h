// WatchHubs: one etcd watch per resource type, fanned out to every watch request of it, instead
// of one etcd watch (and one etcd client thread) per request (server_watch.cc).
//
// A WatchHub watches one resource's whole collection (every namespace) from a revision and keeps
// the last kHistory events, like the Kubernetes API server's watch cache. A subscriber asking
// for the changes after revision R is served from the hub when the hub holds every event after R
// (R at or after the hub's floor: its start, or the last event it dropped from its history);
// older revisions get a private hub started from R for that request alone, so every revision
// etcd still holds can be watched; a compacted one gets OnEnd at once (410 Expired).
// Contracts:
//   - A subscriber sees each event with revision > R exactly once, in revision order: history
//     replay and live delivery happen under the hub's lock, on the etcd watch's thread.
//   - Subscribers filter and encode themselves (namespace, selectors, Table); OnEvent runs on the
//     etcd watch thread and must not block (WatchStream::Send only queues).
//   - When a hub's etcd watch ends (compaction, etcd lost) every subscriber gets OnEnd with the
//     reason and is dropped; the next subscription starts the hub afresh.
//   - Bookmarks: a subscriber that wants them (wants_bookmarks()) gets OnBookmark(R) about every
//     bookmark interval (a minute, as Kubernetes), R being the revision up to which it has been
//     sent every change: the last event the hub saw, or its own starting revision if later.
//   - CheckAll() (called about once a second, never blocking on a subscription in progress)
//     drops subscribers that are gone and private hubs without subscribers, and notices ended
//     etcd watches.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "operator/apiserver/registry.h"

namespace brix::apiserver {

class WatchSubscriber {
 public:
  virtual ~WatchSubscriber() = default;
  // One change (revision `revision`); false: the subscriber is gone, forget it.
  virtual bool OnEvent(const WatchEvent& event) = 0;
  // The hub's etcd watch ended (`why`): the subscriber ends its stream with 410 Expired.
  virtual void OnEnd(const Status& why) = 0;
  virtual bool gone() const = 0;
  virtual bool wants_bookmarks() const { return false; }
  // Every change up to `revision` was delivered (a BOOKMARK event).
  virtual void OnBookmark(int64_t /*revision*/) {}
};

class WatchHub {
 public:
  static constexpr size_t kHistory = 1024;

  using Clock = std::chrono::steady_clock;
  WatchHub(Registry* registry, const api::ResourceInfo& info, Clock::duration bookmark_interval)
      : registry_(registry), info_(info), bookmark_interval_(bookmark_interval) {}
  ~WatchHub();  // stops the etcd watch

  // Starts the etcd watch for the changes after `after` unless it runs.
  [[nodiscard]] Status StartIfStopped(int64_t after);
  // Subscribes `sub` to the changes after `after`; false when the hub does not hold them all
  // (stopped, or `after` before its floor).
  bool Subscribe(std::shared_ptr<WatchSubscriber> sub, int64_t after);
  bool running();
  // Drops gone subscribers and sends the bookmarks due; if the etcd watch ended, ends every
  // subscriber and stops.
  void Check();
  size_t subscribers();

 private:
  struct Entry {
    std::shared_ptr<WatchSubscriber> sub;
    int64_t after = 0;
    Clock::time_point next_bookmark;
  };
  bool OnEvent(const WatchEvent& e);

  Registry* registry_;
  const api::ResourceInfo& info_;
  std::mutex mu_;
  std::unique_ptr<etcd::Watch> watch_;
  const Clock::duration bookmark_interval_;
  int64_t floor_ = 0;  // every event after it is in history_ (while watch_ runs)
  int64_t last_ = 0;   // the revision of the last event seen (or floor_)
  std::deque<std::pair<int64_t, WatchEvent>> history_;
  std::vector<Entry> subs_;
};

class WatchHubs {
 public:
  explicit WatchHubs(Registry* registry,
                     WatchHub::Clock::duration bookmark_interval = std::chrono::minutes(1))
      : registry_(registry), bookmark_interval_(bookmark_interval) {}

  // Delivers the changes of `info` after `after` to `sub`: through the resource's shared hub
  // (started at `start_at`, or at etcd's current revision when that is 0, if it does not run),
  // or a private hub when the shared one does not reach back to `after`.
  ApiResult<bool> Subscribe(const api::ResourceInfo& info, std::shared_ptr<WatchSubscriber> sub,
                            int64_t after, int64_t start_at);
  void CheckAll();
  // Stops every hub (their subscribers are not told).
  void Stop();
  // Open etcd watches (shared and private hubs that run); for tests and metrics.
  size_t etcd_watches();

 private:
  Registry* registry_;
  const WatchHub::Clock::duration bookmark_interval_;
  std::mutex mu_;
  std::map<const api::ResourceInfo*, std::unique_ptr<WatchHub>> shared_;
  std::vector<std::unique_ptr<WatchHub>> private_;
};

}  // namespace brix::apiserver
