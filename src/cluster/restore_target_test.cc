// What kvpd and the nodes guarantee a restore target, against a real cluster: GC pauses
// (cluster/pd/gc_pause.h) — with GC made aggressive, no node collects anything while a pause is
// held, across restarts of kvpd and of the nodes, and GC resumes once it ends — and table ids
// that are never handed out twice (a failed restore's invisible data stay invisible).
#include <gtest/gtest.h>

#include "cluster/catalog.h"
#include "cluster/client/gc_pause_hold.h"
#include "common/net_util.h"
#include "common/tso.h"
#include "testing/cluster.h"

namespace brix::cluster {
namespace {

using brix::testing::ClusterHarness;
using brix::testing::ClusterOptions;

std::unique_ptr<ClusterHarness> AggressiveGcCluster(int nodes) {
  ClusterOptions o;
  o.nodes = nodes;
  o.pd_args = {"--gc-life-time", "1"};
  o.node_args = {"--gc-interval-ms", "50"};
  auto h = ClusterHarness::Start(std::move(o));
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? std::move(*h) : nullptr;
}

// How many versions of the table's rows are stored, whatever their ts.
size_t StoredVersions(ClusterHarness& c, int64_t table) {
  std::string start = TablePrefix(table), end = TablePrefix(table + 1);
  size_t n = 0;
  Status s = c.kv().ScanVersions(start, end, 0, *c.pd().GetTs(), [&](const Version&) {
    ++n;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return n;
}

// Lets `ms` of TSO time pass (many GC intervals and GC life times).
void LetTimePass(ClusterHarness& c, uint64_t ms) {
  uint64_t until = *c.pd().GetTs() + TsSpanMs(ms);
  ASSERT_TRUE(brix::PollUntil([&] { return *c.pd().GetTs() > until; }, std::chrono::seconds(30)));
}

TEST(GcPauseTest, AHeldPauseStopsGcOnEveryNodeAcrossRestartsUntilReleased) {
  auto c = AggressiveGcCluster(2);
  ASSERT_TRUE(c);
  auto t = CreateTable(c->kv(), "db", "gc");
  ASSERT_TRUE(t.ok());
  std::string key = RowKey(t->id, "k");
  ASSERT_TRUE(c->kv().Write({{key, false, "v1"}}).ok());
  ASSERT_TRUE(c->kv().Write({{key, true, ""}}).ok());  // newest is a delete marker
  auto hold = GcPauseHold::Acquire(c->pd(), "test-restore",
                                   {std::chrono::seconds(60), std::chrono::seconds(30)});
  ASSERT_TRUE(hold.ok()) << hold.status().ToString();
  c->KillPd(0);
  ASSERT_TRUE(c->RestartPd(0).ok());
  for (int i = 0; i < 2; ++i) {
    c->KillNode(i);
    ASSERT_TRUE(c->RestartNode(i).ok());
  }
  LetTimePass(*c, 3000);  // 60 GC intervals, 3 GC life times
  EXPECT_EQ(StoredVersions(*c, t->id), 2u) << "GC ran while paused";
  EXPECT_TRUE((*hold)->Check().ok()) << (*hold)->Check().ToString();
  hold->reset();  // releases
  bool collected = brix::PollUntil([&] { return StoredVersions(*c, t->id) == 0; },
                                   std::chrono::seconds(30), std::chrono::milliseconds(100));
  EXPECT_TRUE(collected) << "GC did not resume after the pause was released";
}

TEST(GcPauseTest, APauseWhoseOwnerStopsRefreshingEndsWithItsTtl) {
  auto c = AggressiveGcCluster(1);
  ASSERT_TRUE(c);
  auto t = CreateTable(c->kv(), "db", "gc");
  ASSERT_TRUE(t.ok());
  std::string key = RowKey(t->id, "k");
  ASSERT_TRUE(c->kv().Write({{key, false, "v1"}}).ok());
  ASSERT_TRUE(c->kv().Write({{key, true, ""}}).ok());
  // As a killed restore leaves it: held once, never refreshed nor released.
  auto r = c->pd().GcPause("killed-restore", std::chrono::seconds(2));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->epoch(), 0u);
  bool collected = brix::PollUntil([&] { return StoredVersions(*c, t->id) == 0; },
                                   std::chrono::seconds(30), std::chrono::milliseconds(100));
  EXPECT_TRUE(collected);
}

TEST(TableIdTest, AnIdIsNeverHandedOutTwiceEvenForTheSameName) {
  ClusterOptions o;
  o.nodes = 1;
  auto h = ClusterHarness::Start(std::move(o));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto first = (*h)->pd().AllocTableId("db", "t");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  (*h)->KillPd(0);
  ASSERT_TRUE((*h)->RestartPd(0).ok());
  auto second = (*h)->pd().AllocTableId("db", "t");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(*first, *second) << "a restore would ingest into the failed one's leftovers";
  auto other = CreateTable((*h)->kv(), "db", "t");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_NE(other->id, *first);
  EXPECT_NE(other->id, *second);
}

}  // namespace
}  // namespace brix::cluster
