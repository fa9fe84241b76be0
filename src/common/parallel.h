// Runs independent tasks on a bounded number of threads and keeps the first failure.
//
// Used wherever brix fans work out (block uploads, ranged downloads, prefix deletes). Tasks are
// started in submission order; once one fails, tasks not yet started are skipped and Wait()
// returns that first failure. Submit() blocks while `parallelism` tasks are in flight, which bounds
// memory for callers that hand each task a buffer.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"

namespace brix {

class TaskGroup {
 public:
  explicit TaskGroup(int parallelism);
  ~TaskGroup();  // waits for running tasks
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Runs `task` on a new thread once a slot is free. Returns false (and does not run it) if an
  // earlier task already failed.
  bool Submit(std::function<Status()> task);
  // Waits for every submitted task; the first failure, or OK.
  Status Wait();
  // True once any task failed (lets long producers stop early).
  bool Failed();

 private:
  const int parallelism_;
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  Status first_error_;
  std::vector<std::thread> threads_;
};

}  // namespace brix
