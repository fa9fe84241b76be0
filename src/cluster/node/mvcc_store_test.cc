#include "cluster/node/mvcc_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <map>
#include <random>
#include <set>

#include "cluster/write_id.h"
#include "testing/temp_dir.h"

namespace brix::cluster {
namespace {

class MvccStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = MvccStore::Open(dir_.path() + "/db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  brix::testing::TempDir dir_;
  std::unique_ptr<MvccStore> store_;
};

TEST_F(MvccStoreTest, ReadAtTsSeesNewestVersionAndDeletesHide) {
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v10"}}, 10).ok());
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v20"}}, 20).ok());
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kDelete, ""}}, 30).ok());
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v40"}}, 40).ok());
  EXPECT_FALSE(store_->Get("k", 9)->has_value());
  EXPECT_EQ(**store_->Get("k", 10), "v10");
  EXPECT_EQ(**store_->Get("k", 25), "v20");
  EXPECT_FALSE(store_->Get("k", 35)->has_value());
  EXPECT_EQ(**store_->Get("k", 1000), "v40");
}

// Model-based: random writes over prefix-sharing keys; every read at every ts matches a map.
TEST_F(MvccStoreTest, RandomisedAgainstModel) {
  std::mt19937_64 rng(12345);
  std::vector<std::string> keys = {"a", "ab", "abc", "b", std::string("a\0", 2), "a\xff"};
  std::map<std::string, std::map<uint64_t, std::optional<std::string>>> model;
  uint64_t ts = 0;
  for (int i = 0; i < 400; ++i) {
    ts += 1 + rng() % 3;
    std::vector<MvccMutation> batch;
    std::set<std::string> used;
    for (int j = 0; j < 1 + static_cast<int>(rng() % 3); ++j) {
      std::string k = keys[rng() % keys.size()];
      if (!used.insert(k).second) continue;
      bool del = rng() % 4 == 0;
      // Appended, not `"v" + std::to_string(...)`: GCC 12 at -O3 reports a false -Wrestrict
      // inside libstdc++'s operator+(const char*, string&&) (GCC bug 105651).
      std::string v = "v";
      v += std::to_string(rng() % 1000);
      batch.push_back({k, del ? MvccOp::kDelete : MvccOp::kPut, v});
      model[k][ts] = del ? std::nullopt : std::optional<std::string>(v);
    }
    ASSERT_TRUE(store_->Write(batch, ts).ok());
  }
  for (uint64_t read_ts = 0; read_ts <= ts + 1; read_ts += 7) {
    std::vector<std::pair<std::string, std::string>> expect;
    for (const auto& [k, versions] : model) {
      auto it = versions.upper_bound(read_ts);
      if (it == versions.begin()) continue;
      --it;
      if (it->second) expect.emplace_back(k, *it->second);
    }
    bool more = false;
    auto got = store_->Scan("", "", read_ts, 1000, &more);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, expect) << "at ts " << read_ts;
  }
  // Versions in a ts window, deletes included.
  bool more = false;
  auto versions = store_->ScanVersions("", "", 100, 200, 100000, &more);
  ASSERT_TRUE(versions.ok());
  size_t expected = 0;
  for (const auto& [k, vs] : model) {
    for (const auto& [t, v] : vs) expected += (t > 100 && t <= 200);
  }
  EXPECT_EQ(versions->size(), expected);
}

// What Visit() returns for a window, collected.
std::vector<MvccVersion> VisitAll(MvccStore& store, uint64_t from, uint64_t to, VisitMode mode) {
  std::vector<MvccVersion> out;
  Status s = store.Visit("", "", from, to, mode, [&](const MvccEntry& e) {
    out.push_back({std::string(e.user_key), e.commit_ts, e.op, std::string(e.value)});
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

bool SameVersion(const MvccVersion& a, const MvccVersion& b) {
  return a.key == b.key && a.commit_ts == b.commit_ts && a.op == b.op && a.value == b.value;
}

// Visit() skips the files whose commit-ts range cannot hold a version it returns
// (ts_range_properties.h); randomised over flushes, compactions and GC (whose RocksDB deletes
// must keep hiding what they collected), every window and snapshot equals what the reads that
// open every file (ScanVersions, Scan) return.
TEST_F(MvccStoreTest, VisitsSkippingFilesByTheirTsRangeEqualReadsOfEveryFile) {
  const uint64_t seed = 20261130;
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i)
    keys.push_back("k" + std::to_string(i % 7) + std::string(i % 3, 'x'));
  uint64_t ts = 0;
  auto probe = [&](int round) {
    uint64_t a = rng() % (ts + 10), b = rng() % (ts + 10);
    if (a > b) std::swap(a, b);
    bool more = false;
    auto want = store_->ScanVersions("", "", a, b, 1 << 20, &more);
    ASSERT_TRUE(want.ok());
    auto got = VisitAll(*store_, a, b, VisitMode::kAllVersions);
    ASSERT_EQ(got.size(), want->size())
        << "window (" << a << ", " << b << "] after round " << round << ", seed " << seed;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(SameVersion(got[i], (*want)[i])) << "window (" << a << ", " << b << "]";
    }
    auto live = store_->Scan("", "", b, 1 << 20, &more);
    ASSERT_TRUE(live.ok());
    std::vector<std::pair<std::string, std::string>> snapshot;
    for (const auto& v : VisitAll(*store_, 0, b, VisitMode::kNewestLive)) {
      snapshot.emplace_back(v.key, v.value);
    }
    ASSERT_EQ(snapshot, *live) << "snapshot at " << b << " after round " << round;
  };
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 20; ++i) {
      ts += 1 + rng() % 4;
      bool del = rng() % 5 == 0;
      std::string v = "v";
      v += std::to_string(ts);
      ASSERT_TRUE(
          store_->Write({{keys[rng() % keys.size()], del ? MvccOp::kDelete : MvccOp::kPut, v}}, ts)
              .ok());
    }
    const int what = static_cast<int>(rng() % 8);
    if (what <= 3) {
      ASSERT_TRUE(store_->db()->Flush(rocksdb::FlushOptions()).ok());
    }
    if (what == 4 || what == 5) {
      // GC, then a flush: its deletes land in a file of their own or beside newer writes.
      ASSERT_TRUE(store_->Gc(ts - rng() % 60).ok());
    }
    if (what == 6) {
      ASSERT_TRUE(
          store_->db()->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
    }
    for (int p = 0; p < 20; ++p) {
      ASSERT_NO_FATAL_FAILURE(probe(round));
    }
  }
}

TEST_F(MvccStoreTest, AWindowVisitReadsOnlyTheFilesThatMayHoldIt) {
  // An old file of 4000 versions, a new one of 20, and 5 versions still in the memtable.
  const std::string value(200, 'v');
  for (int i = 0; i < 4000; ++i) {
    ASSERT_TRUE(store_->Write({{"old" + std::to_string(i), MvccOp::kPut, value}}, 100).ok());
  }
  ASSERT_TRUE(store_->db()->Flush(rocksdb::FlushOptions()).ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->Write({{"new" + std::to_string(i), MvccOp::kPut, value}}, 200).ok());
  }
  ASSERT_TRUE(store_->db()->Flush(rocksdb::FlushOptions()).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->Write({{"mem" + std::to_string(i), MvccOp::kPut, value}}, 300).ok());
  }
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  auto blocks_read = [&](uint64_t from, uint64_t to, VisitMode mode, size_t* visited) {
    rocksdb::get_perf_context()->Reset();
    *visited = VisitAll(*store_, from, to, mode).size();
    return rocksdb::get_perf_context()->block_read_count;
  };
  size_t n = 0;
  const uint64_t window = blocks_read(150, 1000, VisitMode::kAllVersions, &n);
  EXPECT_EQ(n, 25u);
  const uint64_t all = blocks_read(0, 1000, VisitMode::kAllVersions, &n);
  EXPECT_EQ(n, 4025u);
  const uint64_t before_new = blocks_read(0, 150, VisitMode::kNewestLive, &n);
  EXPECT_EQ(n, 4000u);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_GE(all, 100u) << "the old file is not as large as this test assumes";
  EXPECT_LE(window, 5u) << "the window (150, 1000] read " << window << " blocks of " << all;
  EXPECT_LE(before_new, all);
}

TEST_F(MvccStoreTest, GcKeepsWhatReadsAtOrAboveTheSafepointNeed) {
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v10"}}, 10).ok());
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v20"}}, 20).ok());
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v30"}}, 30).ok());
  ASSERT_TRUE(store_->Write({{"d", MvccOp::kPut, "x"}}, 10).ok());
  ASSERT_TRUE(store_->Write({{"d", MvccOp::kDelete, ""}}, 20).ok());
  auto removed = store_->Gc(25);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 3u);  // k@10, d@20 (delete marker), d@10
  EXPECT_EQ(**store_->Get("k", 25), "v20");
  EXPECT_EQ(**store_->Get("k", 30), "v30");
  EXPECT_FALSE(store_->Get("d", 25)->has_value());
  bool more = false;
  EXPECT_EQ(store_->ScanVersions("", "", 0, 100, 100, &more)->size(), 2u);
}

// Why a restore pauses GC and replays each key in ts order (cluster/pd/gc_pause.h,
// br/log/replay_order.h): GC judges a key by the versions present when it runs. A delete marker
// that arrives first and is collected lets an older put that arrives later become live again;
// the same versions arriving in ts order, or with GC paused until all have arrived, are exact.
TEST_F(MvccStoreTest, ADeleteCollectedBeforeAnOlderPutArrivesLetsThatPutResurrect) {
  auto replay = [&](const std::string& key, bool in_ts_order, bool gc_between) {
    std::vector<MvccVersion> put{{key, 10, MvccOp::kPut, "old"}};
    std::vector<MvccVersion> del{{key, 20, MvccOp::kDelete, ""}};
    ASSERT_TRUE(store_->WriteVersions(in_ts_order ? put : del).ok());
    if (gc_between) {
      ASSERT_TRUE(store_->Gc(100).ok());
    }
    ASSERT_TRUE(store_->WriteVersions(in_ts_order ? del : put).ok());
  };
  replay("out-of-order-with-gc", false, true);
  EXPECT_EQ(**store_->Get("out-of-order-with-gc", 1000), "old") << "the mechanism of the bug";
  replay("in-order-with-gc", true, true);
  EXPECT_FALSE(store_->Get("in-order-with-gc", 1000)->has_value());
  replay("out-of-order-gc-paused", false, false);
  EXPECT_FALSE(store_->Get("out-of-order-gc-paused", 1000)->has_value());
}

TEST_F(MvccStoreTest, WriteIdRecordsSurviveReopenStayOutOfReadsAndAgeOut) {
  const std::string old_id = MakeWriteId(100, 1), new_id = MakeWriteId(200, 1);
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v10"}}, 10, old_id).ok());
  ASSERT_TRUE(store_->Write({{"k", MvccOp::kPut, "v20"}}, 20, new_id).ok());
  EXPECT_FALSE(store_->CommittedWriteTs(MakeWriteId(200, 2))->has_value());
  store_.reset();  // the record is stored with the data
  auto reopened = MvccStore::Open(dir_.path() + "/db");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(*reopened);
  EXPECT_EQ(store_->CommittedWriteTs(old_id)->value_or(0), 10u);
  EXPECT_EQ(store_->CommittedWriteTs(new_id)->value_or(0), 20u);
  bool more = false;  // reads, version scans and GC see versions only
  EXPECT_EQ(store_->ScanVersions("", "", 0, 100, 100, &more)->size(), 2u);
  EXPECT_EQ(*store_->Gc(100), 1u);
  // A later write drops the records of ids below its bound, in its own batch.
  ASSERT_TRUE(
      store_->Write({{"j", MvccOp::kPut, "x"}}, 30, MakeWriteId(300, 1), MakeWriteId(150, 0)).ok());
  EXPECT_FALSE(store_->CommittedWriteTs(old_id)->has_value());
  EXPECT_EQ(store_->CommittedWriteTs(new_id)->value_or(0), 20u);
}

}  // namespace
}  // namespace brix::cluster
