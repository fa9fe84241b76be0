// The pure decisions of a log compaction (compaction_plan.h): inputs, runs, ranges, order, cuts.
#include "br/log/compaction_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "br/log/compaction.h"
#include "cluster/mvcc.h"

namespace brix::br {
namespace {

LogFile File(const std::string& name, uint64_t min_ts, uint64_t max_ts) {
  LogFile f;
  f.set_name(name);
  f.set_min_ts(min_ts);
  f.set_max_ts(max_ts);
  return f;
}

LogMeta Meta(std::vector<LogFile> files) {
  LogMeta m;
  for (auto& f : files) *m.add_files() = std::move(f);
  return m;
}

std::vector<std::string> Names(const std::vector<LogFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.name());
  return out;
}

TEST(CompactionDir, IsStablePerWindowAndDiffersAcrossWindows) {
  std::string a = CompactionDir("nightly", 100, 200);
  EXPECT_EQ(a, CompactionDir("nightly", 100, 200));
  EXPECT_TRUE(a.starts_with(std::string(kCompactionPrefix) + "nightly_")) << a;
  EXPECT_EQ(a.size(), std::string(kCompactionPrefix).size() + 8 + 16 + 1) << a;
  EXPECT_EQ(a.back(), '/');
  EXPECT_NE(a, CompactionDir("nightly", 100, 201));
  EXPECT_NE(a, CompactionDir("nightly", 101, 200));
  EXPECT_NE(a, CompactionDir("weekly", 100, 200));
  // "a/1/23" and "a/12/3" must not collide: the parts are separated.
  EXPECT_NE(CompactionDir("a", 1, 23), CompactionDir("a", 12, 3));
}

TEST(SelectCompactionInputs, NoMetasOrNoFilesSelectNothing) {
  EXPECT_TRUE(SelectCompactionInputs({}, 0, UINT64_MAX).empty());
  EXPECT_TRUE(SelectCompactionInputs({Meta({})}, 0, UINT64_MAX).empty());
}

TEST(SelectCompactionInputs, TakesFilesOverlappingTheWindowBothEndsInclusive) {
  std::vector<LogMeta> metas = {
      Meta({File("before", 10, 99), File("touches-from", 50, 100), File("inside", 120, 150),
            File("touches-until", 200, 300), File("after", 201, 300), File("spans", 1, 1000)})};
  EXPECT_EQ(Names(SelectCompactionInputs(metas, 100, 200)),
            (std::vector<std::string>{"inside", "spans", "touches-from", "touches-until"}));
}

TEST(SelectCompactionInputs, SortsByNameAcrossMetas) {
  std::vector<LogMeta> metas = {Meta({File("v1/c", 1, 2), File("v1/a", 1, 2)}),
                                Meta({File("v1/b", 1, 2)})};
  EXPECT_EQ(Names(SelectCompactionInputs(metas, 0, 10)),
            (std::vector<std::string>{"v1/a", "v1/b", "v1/c"}));
}

TEST(SelectCompactionInputs, AOneTsWindowTakesOnlyFilesHoldingThatTs) {
  std::vector<LogMeta> metas = {Meta({File("x", 5, 5), File("y", 4, 4), File("z", 6, 9)})};
  EXPECT_EQ(Names(SelectCompactionInputs(metas, 5, 5)), (std::vector<std::string>{"x"}));
}

LogFile Raw(const std::string& name, uint64_t raw_size) {
  LogFile f;
  f.set_name(name);
  f.set_raw_size(raw_size);
  return f;
}

TEST(GroupRunInputs, PacksConsecutiveFilesUpToTheRunSizeAndABigFileIsARunAlone) {
  EXPECT_TRUE(GroupRunInputs({}, 100).empty());
  std::vector<LogFile> in = {Raw("a", 40),  Raw("b", 60), Raw("c", 1),
                             Raw("d", 250), Raw("e", 10), Raw("f", 0)};
  EXPECT_EQ(GroupRunInputs(in, 100), (std::vector<std::vector<size_t>>{{0, 1}, {2}, {3}, {4, 5}}));
  EXPECT_EQ(GroupRunInputs(in, 1).size(), in.size());
}

TEST(RunWorkers, FitsTheSortMemoryBudgetButNeverStopsAtZeroOrPassesConcurrency) {
  EXPECT_EQ(RunWorkers(4, 32 << 20, 384 << 20), 4);  // 2.5 * 32 MiB each: four fit
  EXPECT_EQ(RunWorkers(8, 32 << 20, 384 << 20), 4);  // no more than fit
  EXPECT_EQ(RunWorkers(2, 32 << 20, 384 << 20), 2);  // no more than asked
  EXPECT_EQ(RunWorkers(4, 64 << 20, 384 << 20), 2);  // 2.5 * 64 MiB each: two fit
  // A node cuts a data file at the first entry that takes it to 64 MiB raw, so a full one is a
  // little larger: two such runs still sort at once (at 3x per run only one did, and one core of
  // two sat idle for the first half of `brix log compact`).
  EXPECT_EQ(RunWorkers(4, (64 << 20) + 1024, 384 << 20), 2);
  EXPECT_EQ(RunWorkers(4, 1ull << 30, 384 << 20), 1);  // none fits: one at a time still runs
  EXPECT_EQ(RunWorkers(4, 0, 384 << 20), 4);
}

RangeSample Sample(int64_t table, const std::string& row, uint64_t bytes) {
  return {cluster::RowKey(table, row), bytes};
}

TEST(PlanRanges, OneRangePerSmallTableNeverSpanningTwoAndCatalogIgnored) {
  auto ranges = PlanRanges({Sample(9, "a", 10),
                            Sample(7, "b", 10),
                            Sample(7, "a", 10),
                            {cluster::CatalogKey("app", "t"), 99}},
                           100);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].table_id, 7);
  EXPECT_EQ(ranges[0].start, cluster::TablePrefix(7));  // the whole table
  EXPECT_EQ(ranges[0].end, "");
  EXPECT_EQ(ranges[0].bytes, 20u);
  EXPECT_EQ(ranges[0].index, 0);
  EXPECT_EQ(ranges[1].table_id, 9);
  EXPECT_EQ(ranges[1].index, 0);
  EXPECT_TRUE(PlanRanges({}, 100).empty());
}

TEST(PlanRanges, CutsABigTableAtSampledKeysAboutEveryTarget) {
  std::vector<RangeSample> samples;
  for (char c = 'a'; c <= 'j'; ++c) samples.push_back(Sample(5, std::string(1, c), 40));
  samples.push_back(Sample(5, "c", 40));  // the same key sampled in two runs: no empty range
  auto ranges = PlanRanges(samples, 100);
  // a, b = 80 < 100 (no cut at c); c, c stay together; the next key (d) starts a new range.
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges[0].start, cluster::TablePrefix(5));
  EXPECT_EQ(ranges[0].end, cluster::RowKey(5, "d"));
  EXPECT_EQ(ranges[0].bytes, 160u);
  EXPECT_EQ(ranges[1].start, cluster::RowKey(5, "d"));
  EXPECT_EQ(ranges[1].end, cluster::RowKey(5, "g"));
  EXPECT_EQ(ranges[2].end, cluster::RowKey(5, "j"));
  EXPECT_EQ(ranges[3].end, "");
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(ranges[i].index, static_cast<int>(i));
    if (i > 0) {
      EXPECT_EQ(ranges[i].start, ranges[i - 1].end) << "ranges leave no gap";
    }
  }
  // The same samples in any order give the same ranges (a re-run finds its finished ranges).
  std::reverse(samples.begin(), samples.end());
  auto again = PlanRanges(samples, 100);
  ASSERT_EQ(again.size(), ranges.size());
  for (size_t i = 0; i < ranges.size(); ++i) EXPECT_EQ(again[i].end, ranges[i].end);
}

TEST(InRange, HalfOpenAndAnOpenEndStopsAtTheTable) {
  CompactRange r{5, cluster::RowKey(5, "c"), cluster::RowKey(5, "e"), 0, 1};
  EXPECT_FALSE(InRange(r, cluster::RowKey(5, "b")));
  EXPECT_TRUE(InRange(r, cluster::RowKey(5, "c")));
  EXPECT_TRUE(InRange(r, cluster::RowKey(5, "d")));
  EXPECT_FALSE(InRange(r, cluster::RowKey(5, "e")));
  CompactRange last{5, cluster::RowKey(5, "e"), "", 0, 2};
  EXPECT_TRUE(InRange(last, cluster::RowKey(5, "zzz")));
  EXPECT_FALSE(InRange(last, cluster::RowKey(6, "a")));
  EXPECT_FALSE(InRange(last, cluster::CatalogKey("a", "b")));
}

TEST(SortVersions, OrdersByKeyThenNewestFirst) {
  std::vector<CompactVersion> v = {{"b", 5, false, ""}, {"a", 1, false, ""}, {"ab", 9, false, ""},
                                   {"a", 7, false, ""}, {"b", 5, false, ""}, {"a", 3, false, ""}};
  SortVersions(&v);
  std::vector<std::pair<std::string, uint64_t>> got;
  for (const auto& x : v) got.emplace_back(x.key, x.ts);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, uint64_t>>{
                     {"a", 7}, {"a", 3}, {"a", 1}, {"ab", 9}, {"b", 5}, {"b", 5}}));
  std::vector<CompactVersion> empty;
  SortVersions(&empty);
  EXPECT_TRUE(empty.empty());
}

TEST(IsSameVersion, NeedsKeyAndTs) {
  EXPECT_TRUE(IsSameVersion({"a", 1, false, "x"}, {"a", 1, true, "y"}));
  EXPECT_FALSE(IsSameVersion({"a", 1, false, ""}, {"a", 2, false, ""}));
  EXPECT_FALSE(IsSameVersion({"a", 1, false, ""}, {"b", 1, false, ""}));
}

TEST(ShouldCutSst, CutsAtTheSizeButNeverInsideAKey) {
  EXPECT_FALSE(ShouldCutSst(99, "a", "b", 100));
  EXPECT_TRUE(ShouldCutSst(100, "a", "b", 100));    // the boundary itself cuts
  EXPECT_FALSE(ShouldCutSst(1000, "a", "a", 100));  // versions of one key stay together
  EXPECT_FALSE(ShouldCutSst(kCompactionSstCutBytes - 1, "a", "b"));
  EXPECT_TRUE(ShouldCutSst(kCompactionSstCutBytes, "a", "b"));
}

TEST(BytesCompactedEstimate, IsProportionalAndCapped) {
  EXPECT_EQ(BytesCompactedEstimate(1000, 0, 4), 0u);
  EXPECT_EQ(BytesCompactedEstimate(1000, 1, 4), 250u);
  EXPECT_EQ(BytesCompactedEstimate(1000, 4, 4), 1000u);
  EXPECT_EQ(BytesCompactedEstimate(1000, 5, 4), 1000u);  // never past the total
  EXPECT_EQ(BytesCompactedEstimate(1000, 0, 0), 0u);     // no work: no division by zero
  EXPECT_EQ(BytesCompactedEstimate(0, 3, 3), 0u);
}

}  // namespace
}  // namespace brix::br
