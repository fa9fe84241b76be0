#include "common/parallel.h"

#include <algorithm>

namespace brix {

TaskGroup::TaskGroup(int parallelism) : parallelism_(std::max(1, parallelism)) {}

TaskGroup::~TaskGroup() { Wait().IgnoreError(); }

bool TaskGroup::Submit(std::function<Status()> task) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return running_ < parallelism_ || !first_error_.ok(); });
  if (!first_error_.ok()) return false;
  ++running_;
  threads_.emplace_back([this, task = std::move(task)] {
    Status s = task();
    std::lock_guard<std::mutex> guard(mu_);
    if (!s.ok() && first_error_.ok()) first_error_ = s;
    --running_;
    cv_.notify_all();
  });
  return true;
}

Status TaskGroup::Wait() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  return first_error_;
}

bool TaskGroup::Failed() {
  std::lock_guard<std::mutex> lock(mu_);
  return !first_error_.ok();
}

}  // namespace brix
