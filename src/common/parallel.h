// Runs independent tasks on a bounded number of threads and keeps the first
// failure.
//
// Used wherever brix fans work out (block uploads, ranged downloads, prefix
// deletes, reading log metas). At most `parallelism` worker threads exist per
// group, however many tasks are submitted (100,000 tasks reuse the same few
// threads); workers start on demand and end in Wait(). Tasks are started in
// submission order; once one fails, tasks not yet started are skipped and
// Wait() returns that first failure. Submit() blocks while `parallelism` tasks
// are queued or running, which bounds memory for callers that hand each task a
// buffer. A task may Submit() to its own group. After Wait() the group can be
// used again (the first failure stays).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"

namespace brix {

class TaskGroup {
 public:
  explicit TaskGroup(int parallelism);
  ~TaskGroup();  // waits for queued and running tasks
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Queues `task` for a worker once a slot is free. Returns false (and does not
  // run it) if an earlier task already failed.
  bool Submit(std::function<Status()> task);
  // Waits for every submitted task and ends the workers; the first failure, or
  // OK.
  Status Wait();
  // True once any task failed (lets long producers stop early).
  bool Failed();

 private:
  void Work();

  const int parallelism_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // workers: a task was queued, or Wait() began
  std::condition_variable slot_cv_;  // Submit(): a task finished or was dropped
  std::deque<std::function<Status()>> queue_;
  int pending_ = 0;  // queued + running
  int idle_ = 0;     // workers waiting for a task
  bool closing_ = false;
  Status first_error_;
  std::vector<std::thread> workers_;
};

}  // namespace brix
