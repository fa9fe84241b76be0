// ReplayWindow (replay_order.h) against a model: files from several stores with overlapping ts
// ranges and shared keys, fed in the PITR protocol's order; every key must receive its versions
// in strictly ascending ts, each exactly once. Seeded: BRIX_TEST_SEED replays a failure.
#include "br/log/replay_order.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>

namespace brix::br {
namespace {

struct GeneratedFile {
  LogFile meta;
  std::vector<LogEntry> entries;
};

// Stores flush every `interval` ts units; a store may lag and upload one catch-up file.
std::vector<GeneratedFile> Generate(std::mt19937_64& rng, size_t* total) {
  std::vector<GeneratedFile> files;
  uint64_t ts = 1;
  const int stores = 3, flushes = 30;
  std::vector<std::vector<LogEntry>> pending(stores);
  for (int flush = 0; flush < flushes; ++flush) {
    for (int n = 0; n < 200; ++n) {
      LogEntry e;
      // Appended, not `"k" + std::to_string(...)`: GCC 12 at -O3 reports a false -Wrestrict
      // inside libstdc++'s operator+(const char*, string&&) (GCC bug 105651).
      std::string key = "k";
      key += std::to_string(rng() % 50);
      e.set_key(key);
      e.set_ts(ts++);
      e.set_is_delete(rng() % 5 == 0);
      pending[rng() % stores].push_back(e);
    }
    for (int s = 0; s < stores; ++s) {
      bool lagging = s == 2 && flush % 7 != 6;  // store 2 uploads every 7th flush only
      if (lagging || pending[s].empty()) continue;
      GeneratedFile f;
      f.entries = std::move(pending[s]);
      pending[s].clear();
      std::shuffle(f.entries.begin(), f.entries.end(), rng);  // no order within a file
      uint64_t lo = UINT64_MAX, hi = 0;
      for (const auto& e : f.entries) lo = std::min(lo, e.ts()), hi = std::max(hi, e.ts());
      std::string name = "f";  // appended, as the keys above
      name += std::to_string(files.size());
      f.meta.set_name(name);
      f.meta.set_min_ts(lo);
      f.meta.set_max_ts(hi);
      *total += f.entries.size();
      files.push_back(std::move(f));
    }
  }
  for (int s = 0; s < stores; ++s) {
    if (pending[s].empty()) continue;
    GeneratedFile f;
    f.entries = std::move(pending[s]);
    f.meta.set_name("last" + std::to_string(s));
    f.meta.set_min_ts(f.entries.front().ts());
    f.meta.set_max_ts(f.entries.back().ts());
    *total += f.entries.size();
    files.push_back(std::move(f));
  }
  std::shuffle(files.begin(), files.end(), rng);  // as listed from storage
  return files;
}

TEST(ReplayOrderTest, EveryKeyReceivesItsVersionsInTsOrderExactlyOnce) {
  const char* env = std::getenv("BRIX_TEST_SEED");
  const uint64_t seed = env ? std::stoull(env) : 20261129;
  for (uint64_t round = 0; round < 20; ++round) {
    std::mt19937_64 rng(seed + round);
    size_t total = 0;
    std::vector<GeneratedFile> generated = Generate(rng, &total);
    std::map<std::string, std::vector<LogEntry>> by_name;
    std::vector<LogFile> files;
    for (auto& f : generated) {
      files.push_back(f.meta);
      by_name[f.meta.name()] = std::move(f.entries);
    }
    SortForReplay(files);
    ReplayWindow window;
    std::map<std::string, uint64_t> newest;  // key → newest ts applied
    size_t applied = 0;
    const size_t flush_every = 1 + rng() % 400;  // windows of varied size
    for (size_t i = 0; i < files.size(); ++i) {
      for (const auto& e : by_name[files[i].name()]) window.Add(e);
      bool last = i + 1 == files.size();
      if (!last && window.buffered() < flush_every) continue;
      for (const auto& e : window.TakeBelow(last ? UINT64_MAX : files[i + 1].min_ts())) {
        uint64_t& seen = newest[e.key()];
        ASSERT_LT(seen, e.ts()) << "seed " << seed + round << ": key " << e.key() << " got ts "
                                << e.ts() << " after " << seen;
        seen = e.ts();
        ++applied;
      }
    }
    EXPECT_EQ(window.buffered(), 0u);
    EXPECT_EQ(applied, total) << "seed " << seed + round;
  }
}

TEST(ReplayOrderTest, FilesAreSortedByMinTsThenMaxTsThenName) {
  std::vector<LogFile> files(3);
  files[0].set_name("b"), files[0].set_min_ts(5), files[0].set_max_ts(9);
  files[1].set_name("a"), files[1].set_min_ts(5), files[1].set_max_ts(9);
  files[2].set_name("c"), files[2].set_min_ts(1), files[2].set_max_ts(99);
  SortForReplay(files);
  EXPECT_EQ(files[0].name(), "c");
  EXPECT_EQ(files[1].name(), "a");
  EXPECT_EQ(files[2].name(), "b");
}

}  // namespace
}  // namespace brix::br
