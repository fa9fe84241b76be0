// The pure decisions of a log compaction (compaction_plan.h): inputs, grouping, order, cuts.
#include "br/log/compaction_plan.h"

#include <gtest/gtest.h>

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

void Add(LogBatch* b, const std::string& key, uint64_t ts, bool del = false) {
  auto* e = b->add_entries();
  e->set_key(key);
  e->set_ts(ts);
  e->set_is_delete(del);
  e->set_value(del ? "" : "v" + std::to_string(ts));
}

TEST(GroupVersionsByTable, EmptyBatchGivesNoGroups) {
  LogBatch b;
  EXPECT_TRUE(GroupVersionsByTable(b, {}).empty());
}

TEST(GroupVersionsByTable, GroupsTableKeysDropsCatalogAndSkippedTables) {
  LogBatch b;
  Add(&b, cluster::RowKey(7, "r1"), 10);
  Add(&b, cluster::CatalogKey("app", "a"), 11);
  Add(&b, cluster::RowKey(9, "r1"), 12, /*del=*/true);
  Add(&b, cluster::RowKey(7, "r2"), 13);
  Add(&b, cluster::RowKey(8, "r1"), 14);
  auto groups = GroupVersionsByTable(b, {8});
  ASSERT_EQ(groups.size(), 2u);
  ASSERT_EQ(groups[7].size(), 2u);
  EXPECT_EQ(groups[7][0].key, cluster::RowKey(7, "r1"));  // batch order is kept
  EXPECT_EQ(groups[7][1].ts, 13u);
  ASSERT_EQ(groups[9].size(), 1u);
  EXPECT_TRUE(groups[9][0].is_delete);
  EXPECT_EQ(groups[7][0].value, "v10");
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
