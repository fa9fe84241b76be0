// TSO batching (tso_batcher.h): concurrent callers share one kvpd request and each gets its own ts.
#include "cluster/client/tso_batcher.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/net_util.h"

namespace brix::cluster {
namespace {

// A kvpd stand-in whose first request blocks until released, so that callers queue behind it.
class FakeTso {
 public:
  Result<GetTsResponse> GetTs(uint32_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    counts_.push_back(count);
    cv_.wait(lock, [&] { return released_; });
    if (!error_.ok()) return error_;
    last_ += count;
    GetTsResponse r;
    r.set_ts(last_);
    r.set_region_version(7);
    return r;
  }
  void Release(Status error = Status::OK()) {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    error_ = error;
    cv_.notify_all();
  }
  std::vector<uint32_t> counts() {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  Status error_;
  uint64_t last_ = 1000;
  std::vector<uint32_t> counts_;
};

TEST(TsoBatcher, CallersWaitingOnARequestShareTheNextOneAndEachGetsItsOwnTs) {
  FakeTso kvpd;
  TsoBatcher batcher([&](uint32_t n) { return kvpd.GetTs(n); });
  std::mutex mu;
  std::vector<uint64_t> got;
  auto call = [&] {
    auto r = batcher.Next();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->region_version(), 7u);
    std::lock_guard<std::mutex> lock(mu);
    got.push_back(r->ts());
  };
  std::vector<std::thread> threads;
  threads.emplace_back(call);  // leads the first request, which blocks
  ASSERT_TRUE(PollUntil([&] { return batcher.requests() == 1; }, std::chrono::seconds(10)));
  for (int i = 0; i < 10; ++i) threads.emplace_back(call);
  ASSERT_TRUE(PollUntil([&] { return batcher.queued() == 10; }, std::chrono::seconds(10)));
  kvpd.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(batcher.requests(), 2u);
  EXPECT_EQ(kvpd.counts(), (std::vector<uint32_t>{1, 10}));
  std::set<uint64_t> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), 11u);
  EXPECT_EQ(*distinct.begin(), 1001u);
  EXPECT_EQ(*distinct.rbegin(), 1011u);
}

TEST(TsoBatcher, AFailedRequestFailsEveryCallerOfItsBatch) {
  FakeTso kvpd;
  TsoBatcher batcher([&](uint32_t n) { return kvpd.GetTs(n); });
  std::atomic<int> failed{0};
  auto call = [&] {
    if (!batcher.Next().ok()) ++failed;
  };
  std::vector<std::thread> threads;
  threads.emplace_back(call);
  ASSERT_TRUE(PollUntil([&] { return batcher.requests() == 1; }, std::chrono::seconds(10)));
  for (int i = 0; i < 4; ++i) threads.emplace_back(call);
  ASSERT_TRUE(PollUntil([&] { return batcher.queued() == 4; }, std::chrono::seconds(10)));
  kvpd.Release(Status::Unavailable("kvpd down"));
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 5);
}

}  // namespace
}  // namespace brix::cluster
