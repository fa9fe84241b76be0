// Sorted runs and their merge (compaction_runs.h): a range merged from runs holds exactly the
// distinct versions of the inputs in it, in MVCC order, and ranges planned from the runs' samples
// together hold every version once.
#include "br/log/compaction_runs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <functional>
#include <random>

#include "cluster/mvcc.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

using Got = std::vector<std::tuple<std::string, uint64_t, std::string>>;  // key, ts, stored

// Versions over 3 tables, with every 7th version repeated (a re-scanned file); their keys and
// values live in `bytes`.
std::vector<std::vector<CompactVersion>> Inputs(int runs, int per_run, uint64_t seed,
                                                std::deque<std::string>& bytes) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<CompactVersion>> out(runs);
  for (int r = 0; r < runs; ++r) {
    for (int i = 0; i < per_run; ++i) {
      int64_t table = 3 + static_cast<int64_t>(rng() % 3);
      const std::string& key =
          bytes.emplace_back(cluster::RowKey(table, "row" + std::to_string(rng() % 200)));
      uint64_t ts = 1 + rng() % 50;
      // One (key, ts) is one version: its op and value follow from it.
      size_t h = std::hash<std::string>()(key + "@" + std::to_string(ts));
      bool del = h % 5 == 0;
      const std::string& value =
          bytes.emplace_back(del ? "" : std::string(1 + h % 300, static_cast<char>('a' + h % 26)));
      out[r].push_back({key, ts, del, value});
      if (i % 7 == 0) out[(r + 1) % runs].push_back({key, ts, del, value});
    }
  }
  return out;
}

// What a merge must give: every distinct (key, ts), sorted, and how many copies were dropped.
Got Expected(const std::vector<std::vector<CompactVersion>>& inputs, uint64_t* duplicates) {
  std::vector<CompactVersion> all;
  for (const auto& in : inputs) all.insert(all.end(), in.begin(), in.end());
  SortVersions(&all);
  Got out;
  *duplicates = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0 && IsSameVersion(all[i - 1], all[i])) {
      ++*duplicates;
      continue;
    }
    out.emplace_back(
        all[i].key, all[i].ts,
        cluster::EncodeMvccValue(
            all[i].is_delete ? cluster::MvccOp::kDelete : cluster::MvccOp::kPut, all[i].value));
  }
  return out;
}

TEST(MergeRuns, RangesPlannedFromSamplesHoldEveryDistinctVersionOnceInMvccOrder) {
  brix::testing::TempDir tmp;
  std::deque<std::string> bytes;
  auto inputs = Inputs(5, 2000, 42, bytes);
  uint64_t want_duplicates = 0;
  Got want = Expected(inputs, &want_duplicates);
  ASSERT_GT(want_duplicates, 0u);

  std::vector<SortedRun> runs;
  std::vector<RangeSample> samples;
  for (size_t r = 0; r < inputs.size(); ++r) {
    auto copy = inputs[r];
    auto run = WriteSortedRun(&copy, tmp.path() + "/run-" + std::to_string(r), /*sample=*/4096);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_TRUE(copy.empty()) << "the versions are released once written";
    EXPECT_GT(run->samples.size(), 3u);
    for (const auto& s : run->samples) samples.push_back(s.sample);
    runs.push_back(std::move(*run));
  }
  // Small ranges: several per table, starting inside the runs (seeking from samples).
  std::vector<CompactRange> ranges = PlanRanges(samples, 20000);
  ASSERT_GT(ranges.size(), 6u);
  Got got;
  uint64_t duplicates = 0;
  for (const auto& range : ranges) {
    size_t before = got.size();
    Status s = MergeRuns(
        runs, range,
        [&](const MergedVersion& v) {
          EXPECT_TRUE(InRange(range, v.user_key));
          std::string_view user;
          uint64_t ts = 0;
          EXPECT_TRUE(cluster::DecodeMvccKey(v.encoded_key, &user, &ts));
          EXPECT_EQ(user, v.user_key);
          EXPECT_EQ(ts, v.ts);
          got.emplace_back(std::string(v.user_key), v.ts, std::string(v.stored_value));
          return Status::OK();
        },
        &duplicates);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_GT(got.size(), before) << "no planned range is empty";
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(duplicates, want_duplicates);
}

TEST(MergeRuns, AnEmptyRunAndNoRunsMergeToNothing) {
  brix::testing::TempDir tmp;
  std::vector<CompactVersion> none;
  auto run = WriteSortedRun(&none, tmp.path() + "/empty");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(run->samples.empty());
  CompactRange all{7, cluster::TablePrefix(7), "", 0, 0};
  uint64_t duplicates = 0;
  int calls = 0;
  auto count = [&](const MergedVersion&) {
    ++calls;
    return Status::OK();
  };
  EXPECT_TRUE(MergeRuns({*run}, all, count, &duplicates).ok());
  EXPECT_TRUE(MergeRuns({}, all, count, &duplicates).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(duplicates, 0u);
}

TEST(MergeRuns, ATruncatedRunIsRefusedNamingIt) {
  brix::testing::TempDir tmp;
  const std::string key = cluster::RowKey(7, "a"), value(100, 'x');
  std::vector<CompactVersion> v = {{key, 5, false, value}};
  std::string path = tmp.path() + "/run";
  auto run = WriteSortedRun(&v, path);
  ASSERT_TRUE(run.ok());
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  CompactRange all{7, cluster::TablePrefix(7), "", 0, 0};
  uint64_t duplicates = 0;
  Status s = MergeRuns(
      {*run}, all, [](const MergedVersion&) { return Status::OK(); }, &duplicates);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace brix::br
