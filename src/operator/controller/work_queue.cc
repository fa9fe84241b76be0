#include "operator/controller/work_queue.h"

namespace brix::controller {

WorkQueue::WorkQueue(std::chrono::milliseconds base_delay, std::chrono::milliseconds max_delay)
    : base_(base_delay), max_(max_delay) {}

void WorkQueue::AddAtLocked(const std::string& key, Clock::time_point when) {
  auto& target = processing_.count(key) ? deferred_ : due_;
  auto it = target.find(key);
  if (it == target.end() || when < it->second) target[key] = when;
  cv_.notify_all();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddAtLocked(key, Clock::now());
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  AddAtLocked(key, Clock::now() + delay);
}

void WorkQueue::AddRateLimited(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  int n = failures_[key]++;
  auto delay = base_ * (1LL << std::min(n, 20));
  if (delay > max_) delay = max_;
  AddAtLocked(key, Clock::now() + delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (shutdown_) return std::nullopt;
    auto now = Clock::now();
    auto first = due_.end();
    for (auto it = due_.begin(); it != due_.end(); ++it) {
      if (first == due_.end() || it->second < first->second) first = it;
    }
    if (first != due_.end() && first->second <= now) {
      std::string key = first->first;
      due_.erase(first);
      processing_.insert(key);
      return key;
    }
    if (first == due_.end()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, first->second);
    }
  }
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (auto it = deferred_.find(key); it != deferred_.end()) {
    Clock::time_point when = it->second;
    deferred_.erase(it);
    AddAtLocked(key, when);
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::Depth() {
  std::lock_guard<std::mutex> lock(mu_);
  return due_.size();
}

}  // namespace brix::controller
