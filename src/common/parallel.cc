#include "common/parallel.h"

#include <algorithm>

namespace brix {

TaskGroup::TaskGroup(int parallelism) : parallelism_(std::max(1, parallelism)) {}

TaskGroup::~TaskGroup() { Wait().IgnoreError(); }

bool TaskGroup::Submit(std::function<Status()> task) {
  std::unique_lock<std::mutex> lock(mu_);
  slot_cv_.wait(lock, [&] { return pending_ < parallelism_ || !first_error_.ok(); });
  if (!first_error_.ok()) return false;
  queue_.push_back(std::move(task));
  ++pending_;
  if (static_cast<int>(queue_.size()) > idle_ && static_cast<int>(workers_.size()) < parallelism_) {
    workers_.emplace_back([this] { Work(); });
  } else {
    work_cv_.notify_one();
  }
  return true;
}

void TaskGroup::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    ++idle_;
    work_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
    --idle_;
    if (queue_.empty()) return;  // closing and nothing left
    std::function<Status()> task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Status s = task();
    task = nullptr;  // release captures outside the lock
    lock.lock();
    --pending_;
    if (!s.ok() && first_error_.ok()) {
      first_error_ = std::move(s);
      pending_ -= static_cast<int>(queue_.size());  // not started: skipped
      queue_.clear();
    }
    slot_cv_.notify_all();
  }
}

Status TaskGroup::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  // A task may submit more work while we join, so repeat until no worker is
  // left.
  while (!workers_.empty()) {
    closing_ = true;
    work_cv_.notify_all();
    std::vector<std::thread> workers;
    workers.swap(workers_);
    lock.unlock();
    for (auto& t : workers) t.join();
    lock.lock();
  }
  closing_ = false;
  return first_error_;
}

bool TaskGroup::Failed() {
  std::lock_guard<std::mutex> lock(mu_);
  return !first_error_.ok();
}

}  // namespace brix
