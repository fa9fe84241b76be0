// TaskGroup: bounded workers, first error wins, many more tasks than threads.
#include "common/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace brix {
namespace {

TEST(TaskGroupTest, HundredThousandTasksRunOnAtMostParallelismThreads) {
  constexpr int kTasks = 100'000;
  constexpr int kParallelism = 4;
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::atomic<int> done{0};
  TaskGroup group(kParallelism);
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(group.Submit([&]() -> Status {
      {
        std::lock_guard<std::mutex> lock(mu);
        threads.insert(std::this_thread::get_id());
      }
      ++done;
      return Status::OK();
    }));
  }
  ASSERT_TRUE(group.Wait().ok());
  EXPECT_EQ(done.load(), kTasks);
  EXPECT_LE(threads.size(), static_cast<size_t>(kParallelism));
}

TEST(TaskGroupTest, AfterAFailureSubmitRefusesNewTasksAndWaitKeepsTheFirstError) {
  TaskGroup group(1);
  std::atomic<int> ran{0};
  ASSERT_TRUE(group.Submit([&]() -> Status {
    ++ran;
    return Status::IOError("first");
  }));
  ASSERT_EQ(group.Wait().code(), Status::Code::kIOError);
  EXPECT_FALSE(group.Submit([&]() -> Status {
    ++ran;
    return Status::OK();
  }));
  EXPECT_EQ(group.Wait().message(), "first");
  EXPECT_EQ(ran.load(), 1);
}

TEST(TaskGroupTest, TasksMaySubmitMoreWorkToTheirGroup) {
  TaskGroup group(2);
  std::atomic<int> ran{0};
  ASSERT_TRUE(group.Submit([&]() -> Status {
    ++ran;
    group.Submit([&]() -> Status {
      ++ran;
      return Status::OK();
    });
    return Status::OK();
  }));
  ASSERT_TRUE(group.Wait().ok());
  EXPECT_EQ(ran.load(), 2);
}

TEST(TaskGroupTest, AGroupCanBeReusedAfterWait) {
  TaskGroup group(3);
  std::atomic<int> ran{0};
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(group.Submit([&]() -> Status {
        ++ran;
        return Status::OK();
      }));
    }
    ASSERT_TRUE(group.Wait().ok());
    EXPECT_EQ(ran.load(), 10 * (round + 1));
  }
}

}  // namespace
}  // namespace brix
