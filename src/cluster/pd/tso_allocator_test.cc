// TsoAllocator (cluster/pd/tso_allocator.h) against a fake clock and a fake etcd mark.
#include "cluster/pd/tso_allocator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "common/tso.h"

namespace brix::cluster {
namespace {

// The persisted mark as etcd would hold it: compare-and-swap on a revision.
struct FakeMark {
  std::mutex mu;
  uint64_t mark = 0;
  int64_t revision = 0;
  int writes = 0;
  bool fail = false;
  std::function<void()> during_write;  // runs inside each write

  Result<int64_t> Write(uint64_t m, int64_t expected) {
    if (during_write) during_write();
    std::lock_guard<std::mutex> lock(mu);
    if (fail || expected != revision) return Status::FailedPrecondition("revision moved");
    mark = m;
    ++writes;
    return ++revision;
  }
  uint64_t Mark() {
    std::lock_guard<std::mutex> lock(mu);
    return mark;
  }
};

struct Fixture {
  std::atomic<uint64_t> now{1'700'000'000'000};
  FakeMark etcd;
  std::atomic<int> fenced{0};
  std::unique_ptr<TsoAllocator> tso;

  explicit Fixture(std::chrono::milliseconds window = std::chrono::milliseconds(3000)) {
    tso = std::make_unique<TsoAllocator>(
        [this](uint64_t m, int64_t rev) { return etcd.Write(m, rev); }, window,
        [this] { return now.load(); }, [this] { ++fenced; });
  }
};

TEST(TsoAllocator, ServesNothingBeforeItStarted) {
  Fixture f;
  EXPECT_EQ(f.tso->Next(1).status().code(), Status::Code::kUnavailable);
}

TEST(TsoAllocator, StartsAboveThePersistedMarkAndPersistsANewOneFirst) {
  Fixture f;
  const uint64_t persisted = f.now.load() + 60'000;  // a previous leader ran ahead of our clock
  ASSERT_TRUE(f.tso->Start(persisted, 0).ok());
  EXPECT_GT(f.etcd.Mark(), persisted + 1);
  auto ts = f.tso->Next(1);
  ASSERT_TRUE(ts.ok());
  EXPECT_GT(TsPhysicalMs(*ts), persisted);
  EXPECT_LT(TsPhysicalMs(*ts), f.etcd.Mark());
}

TEST(TsoAllocator, TimestampsStrictlyIncreaseAndStayBelowThePersistedMark) {
  Fixture f(std::chrono::milliseconds(5));  // a small window: many raises
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  uint64_t last = 0;
  for (int i = 0; i < 2000; ++i) {
    if (i % 7 == 0) f.now += 3;
    auto ts = f.tso->Next(1 + i % 5);
    ASSERT_TRUE(ts.ok()) << ts.status().ToString();
    ASSERT_GT(*ts, last);
    ASSERT_LT(TsPhysicalMs(*ts), f.etcd.Mark()) << "served at or above the persisted mark";
    last = *ts;
  }
  EXPECT_GT(f.etcd.writes, 10);
}

TEST(TsoAllocator, ABatchIsTheLastOfCountConsecutiveTimestamps) {
  Fixture f;
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  auto a = f.tso->Next(1);
  auto b = f.tso->Next(10);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*b, *a + 10);
  auto zero = f.tso->Next(0);  // counts as one
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, *b + 1);
}

TEST(TsoAllocator, ACountThatDoesNotFitInOneMillisecondIsRefused) {
  Fixture f;
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  EXPECT_TRUE(f.tso->Next(static_cast<uint32_t>(kTsMaxLogical) + 1).status().IsInvalidArgument());
  EXPECT_TRUE(f.tso->Next(static_cast<uint32_t>(kTsMaxLogical)).ok());
}

TEST(TsoAllocator, AFullMillisecondMovesToTheNextOneWithoutExceedingTheMaxLogical) {
  Fixture f;  // the clock stands still
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  auto first = f.tso->Next(1);
  ASSERT_TRUE(first.ok());
  auto big = f.tso->Next(static_cast<uint32_t>(kTsMaxLogical));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(TsPhysicalMs(*big), TsPhysicalMs(*first) + 1);
  EXPECT_LE(TsLogical(*big), kTsMaxLogical);
  EXPECT_GT(*big, *first);
}

TEST(TsoAllocator, AdvancePastPutsEveryLaterTimestampAboveTheFloor) {
  Fixture f;
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  const uint64_t floor = ComposeTs(f.now.load() + 3'600'000, 77);  // an hour ahead
  auto ts = f.tso->AdvancePast(floor);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  EXPECT_GT(*ts, floor);
  auto next = f.tso->Next(1);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, *ts);
  EXPECT_LT(TsPhysicalMs(*next), f.etcd.Mark());
  // A floor below what was issued changes nothing but still gives a fresh ts.
  auto again = f.tso->AdvancePast(1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *next + 1);
}

TEST(TsoAllocator, ALostCompareAndSwapFencesTheLeaderAndServesNothingAboveTheOldMark) {
  Fixture f(std::chrono::milliseconds(10));
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  const uint64_t mark = f.etcd.Mark();
  {
    std::lock_guard<std::mutex> lock(f.etcd.mu);
    ++f.etcd.revision;  // another leader wrote the key
  }
  f.now += 1000;  // past the mark: the next ts needs a raise
  auto ts = f.tso->Next(1);
  EXPECT_FALSE(ts.ok());
  EXPECT_EQ(f.fenced.load(), 1);
  EXPECT_EQ(f.tso->high_water_ms(), mark);
}

TEST(TsoAllocator, TheMarkIsPersistedWithoutHoldingTheTsoLock) {
  Fixture f(std::chrono::milliseconds(10));
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  std::thread reader;
  std::promise<void> read;
  std::future<void> read_done = read.get_future();
  bool answered_during_write = false;
  f.etcd.during_write = [&] {
    // Another thread reads the TSO state while the write is in flight: it must not block.
    reader = std::thread([&] {
      f.tso->high_water_ms();
      read.set_value();
    });
    answered_during_write =
        read_done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  };
  f.now += 1000;
  EXPECT_TRUE(f.tso->Next(1).ok());
  reader.join();  // (had the lock been held, it gets it now)
  EXPECT_TRUE(answered_during_write);
}

TEST(TsoAllocator, ConcurrentRequestsGetDistinctIncreasingTimestamps) {
  Fixture f(std::chrono::milliseconds(2));
  ASSERT_TRUE(f.tso->Start(0, 0).ok());
  constexpr int kThreads = 4, kEach = 1500;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (i % 50 == 0) f.now += 1;
        auto ts = f.tso->Next(1);
        if (!ts.ok()) return;
        got[t].push_back(*ts);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& v : got) {
    ASSERT_EQ(v.size(), static_cast<size_t>(kEach));
    for (size_t i = 1; i < v.size(); ++i) ASSERT_GT(v[i], v[i - 1]);
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_LT(TsPhysicalMs(*all.rbegin()), f.etcd.Mark());
}

}  // namespace
}  // namespace brix::cluster
