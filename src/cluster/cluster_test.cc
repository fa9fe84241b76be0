// The cluster end to end: real etcd, kvpd and kvnodes on loopback (testing/cluster.h).
#include "testing/cluster.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "cluster/catalog.h"
#include "cluster/write_id.h"
#include "common/net_util.h"
#include "common/tso.h"
#include "etcd/etcd_client.h"
#include "testing/temp_dir.h"

namespace brix::cluster {
namespace {

using brix::testing::ClusterHarness;
using brix::testing::ClusterOptions;

ClusterOptions Opts(int nodes, int pds = 1, std::vector<std::string> pd_args = {},
                    std::vector<std::string> node_args = {}) {
  ClusterOptions o;
  o.nodes = nodes;
  o.pds = pds;
  o.pd_args = std::move(pd_args);
  o.node_args = std::move(node_args);
  return o;
}

std::unique_ptr<ClusterHarness> StartCluster(ClusterOptions options) {
  auto h = ClusterHarness::Start(std::move(options));
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? std::move(*h) : nullptr;
}

TEST(ClusterTest, TsoStrictlyIncreasesAcrossLeaderFailoverAndRestart) {
  auto c = StartCluster(Opts(1, 2));
  ASSERT_TRUE(c);
  uint64_t last = 0;
  auto take = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto ts = c->pd().GetTs();
      ASSERT_TRUE(ts.ok()) << ts.status().ToString();
      ASSERT_GT(*ts, last);
      last = *ts;
    }
  };
  take(200);
  int leader = c->LeaderPd();
  ASSERT_GE(leader, 0);
  c->KillPd(leader);  // kill -9 of the leader: the standby takes over within a few seconds
  take(200);
  int new_leader = c->LeaderPd();
  EXPECT_EQ(new_leader, 1 - leader);
  ASSERT_TRUE(c->RestartPd(leader).ok());
  c->KillPd(new_leader);
  take(200);
  // Concurrent clients never see a duplicate.
  std::mutex mu;
  std::set<uint64_t> seen;
  std::vector<std::thread> threads;
  std::atomic<bool> ok{true};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto ts = c->pd().GetTs();
        std::lock_guard<std::mutex> lock(mu);
        if (!ts.ok() || !seen.insert(*ts).second || *ts <= last) ok = false;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(ok.load());
}

// Whenever a node reports resolved ts R: a snapshot read at R shows exactly the acknowledged
// writes with commit ts ≤ R, and no write that started after R was reported gets ts ≤ R.
TEST(ClusterTest, ResolvedTsPromiseUnderConcurrentWriters) {
  auto c = StartCluster(Opts(2));
  ASSERT_TRUE(c);
  auto t1 = CreateTable(c->kv(), "db", "a");
  auto t2 = CreateTable(c->kv(), "db", "b");
  ASSERT_TRUE(t1.ok() && t2.ok());
  std::vector<int64_t> tables = {t1->id, t2->id};

  struct Ack {
    std::string key, value;
    bool is_delete;
    uint64_t ts;
    uint64_t started_seq;
  };
  std::atomic<uint64_t> seq{0};
  std::mutex mu;
  std::vector<Ack> acks;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937_64 rng(1000 + w);
      while (!stop.load()) {
        int64_t table = tables[rng() % 2];
        std::string key = RowKey(table, "k" + std::to_string(rng() % 50));
        bool del = rng() % 5 == 0;
        std::string value = "v" + std::to_string(rng());
        uint64_t started = seq.fetch_add(1);
        auto done = c->kv().Write({{key, del, value}});
        if (!done.ok()) continue;
        std::lock_guard<std::mutex> lock(mu);
        acks.push_back({key, value, del, (*done)[0].commit_ts, started});
      }
    });
  }
  // Observe resolved ts on both stores and snapshot at it.
  auto stores = c->pd().GetStores();
  ASSERT_TRUE(stores.ok());
  struct Observation {
    uint64_t r;
    uint64_t seq;
    std::map<std::string, std::string> snapshot;
  };
  std::vector<Observation> observations;
  for (int round = 0; round < 12; ++round) {
    for (const auto& store : *stores) {
      auto stub =
          KvNode::NewStub(grpc::CreateChannel(store.address(), c->pd().channel_credentials()));
      grpc::ClientContext ctx;
      ResolvedTsRequest req;
      ResolvedTsResponse resp;
      ASSERT_TRUE(stub->ResolvedTs(&ctx, req, &resp).ok());
      Observation o{resp.resolved_ts(), seq.load(), {}};
      // Both tables live on their own region/store; reading at R from every store is the
      // strictest form of the check (R of one store is ≤ the cluster's current ts).
      Status s = c->kv().Scan(TablePrefix(tables[0]), TablePrefix(tables[1] + 1), o.r,
                              [&](const KvPair& p) {
                                o.snapshot[p.key()] = p.value();
                                return true;
                              });
      ASSERT_TRUE(s.ok()) << s.ToString();
      observations.push_back(std::move(o));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // pacing only, not sync
  }
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_GT(acks.size(), 200u);
  for (const auto& o : observations) {
    std::map<std::string, std::pair<uint64_t, std::optional<std::string>>> model;
    for (const auto& a : acks) {
      if (a.started_seq >= o.seq) {
        EXPECT_GT(a.ts, o.r) << "a write started after R got ts ≤ R";
      }
      if (a.ts > o.r) continue;
      auto& m = model[a.key];
      if (a.ts >= m.first)
        m = {a.ts, a.is_delete ? std::nullopt : std::optional<std::string>(a.value)};
    }
    std::map<std::string, std::string> expect;
    for (const auto& [k, v] : model) {
      if (v.second) expect[k] = *v.second;
    }
    EXPECT_EQ(o.snapshot, expect) << "snapshot at resolved ts " << o.r;
  }
}

TEST(ClusterTest, RoutingRetriesAcrossSplitsAndStaleCaches) {
  auto c = StartCluster(Opts(2));
  ASSERT_TRUE(c);
  auto t = CreateTable(c->kv(), "db", "t");
  ASSERT_TRUE(t.ok());
  std::vector<KvMutation> rows;
  for (int i = 0; i < 100; ++i)
    rows.push_back({RowKey(t->id, "r" + std::to_string(100 + i)), false, "x"});
  ASSERT_TRUE(c->kv().Write(rows).ok());
  // A second client caches the region map, then the region is split twice under it.
  auto other_pd = PdClient::Connect(c->pd_addresses());
  ASSERT_TRUE(other_pd.ok());
  KvClient stale(other_pd->get());
  ASSERT_TRUE(stale.Get(RowKey(t->id, "r150"), *c->pd().GetTs()).ok());
  auto split = c->pd().SplitRegion(RowKey(t->id, "r150"));
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_GT(split->left().epoch(), 1u);
  ASSERT_TRUE(c->pd().SplitRegion(RowKey(t->id, "r120")).ok());
  // The stale client's writes and reads on every side of the splits still land and are seen.
  ASSERT_TRUE(
      stale.Write({{RowKey(t->id, "r110"), false, "y"}, {RowKey(t->id, "r160"), false, "z"}}).ok());
  uint64_t now = *c->pd().GetTs();
  EXPECT_EQ(*stale.Get(RowKey(t->id, "r160"), now), "z");
  int count = 0;
  ASSERT_TRUE(stale
                  .Scan(TablePrefix(t->id), TablePrefix(t->id + 1), now,
                        [&](const KvPair&) {
                          ++count;
                          return true;
                        })
                  .ok());
  EXPECT_EQ(count, 100);
  // A table created after the stale client cached the map is routed to its new owner.
  auto t2 = CreateTable(c->kv(), "db", "t2");
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(stale.Write({{RowKey(t2->id, "a"), false, "b"}}).ok());
  EXPECT_EQ(*c->kv().Get(RowKey(t2->id, "a"), *c->pd().GetTs()), "b");
}

TEST(ClusterTest, GcNeverRemovesWhatAServiceSafepointProtects) {
  auto c = StartCluster(Opts(1, 1, {"--gc-life-time", "1"}, {"--gc-interval-ms", "100"}));
  ASSERT_TRUE(c);
  auto t = CreateTable(c->kv(), "db", "g");
  ASSERT_TRUE(t.ok());
  std::string key = RowKey(t->id, "k");
  auto w1 = c->kv().Write({{key, false, "v1"}});
  ASSERT_TRUE(w1.ok());
  uint64_t t1 = (*w1)[0].commit_ts;
  ASSERT_TRUE(c->pd().UpdateServiceSafePoint("br-test", t1, 60).ok());
  ASSERT_TRUE(c->kv().Write({{key, false, "v2"}}).ok());
  // Let the GC life time pass several times over; v1 must stay readable at t1.
  uint64_t wait_until = *c->pd().GetTs() + TsSpanMs(3000);
  ASSERT_TRUE(
      brix::PollUntil([&] { return *c->pd().GetTs() > wait_until; }, std::chrono::seconds(10)));
  auto sp = c->pd().GetGcSafePoint();
  ASSERT_TRUE(sp.ok());
  EXPECT_LE(*sp, t1);
  EXPECT_EQ(*c->kv().Get(key, t1), "v1");
  // Without the service safepoint GC moves on, and reads at t1 are refused, not wrong.
  ASSERT_TRUE(c->pd().UpdateServiceSafePoint("br-test", 0, 0).ok());
  bool refused = brix::PollUntil(
      [&] {
        auto r = c->kv().Get(key, t1);
        return !r.ok() && r.status().message().find("GC safepoint") != std::string::npos;
      },
      std::chrono::seconds(15), std::chrono::milliseconds(100));
  EXPECT_TRUE(refused);
  EXPECT_EQ(*c->kv().Get(key, *c->pd().GetTs()), "v2");
}

// What KvClient relies on to learn the true commit ts of a write whose reply was lost: the node
// answers a repeated write id with the original commit ts (also after kill -9: the record is in
// the data's batch), stores nothing twice, and refuses ids it can no longer vouch for.
TEST(ClusterTest, AWriteRepeatedWithItsWriteIdIsStoredOnceAndAnsweredWithItsFirstCommitTs) {
  auto c = StartCluster(Opts(1));
  ASSERT_TRUE(c);
  auto table = CreateTable(c->kv(), "db", "ids");
  ASSERT_TRUE(table.ok());
  const std::string key = RowKey(table->id, "k");
  auto region = c->pd().GetRegions(key, key + '\0');
  ASSERT_TRUE(region.ok() && region->size() == 1);
  auto stores = c->pd().GetStores();
  ASSERT_TRUE(stores.ok() && stores->size() == 1);
  auto send = [&](const std::string& id, const std::string& value, WriteResponse* resp) {
    auto stub =
        KvNode::NewStub(grpc::CreateChannel((*stores)[0].address(), c->pd().channel_credentials()));
    WriteRequest req;
    req.set_region_id((*region)[0].id());
    req.set_epoch((*region)[0].epoch());
    req.set_write_id(id);
    Mutation* m = req.add_mutations();
    m->set_key(key);
    m->set_value(value);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub->Write(&ctx, req, resp);
  };
  const std::string id = MakeWriteId(*c->pd().GetTs(), 7);
  WriteResponse first, again, after_crash, other;
  ASSERT_TRUE(send(id, "v1", &first).ok());
  EXPECT_FALSE(first.replayed());
  ASSERT_TRUE(send(id, "v1", &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.commit_ts(), first.commit_ts());
  c->KillNode(0);
  ASSERT_TRUE(c->RestartNode(0).ok());
  grpc::Status gs;
  ASSERT_TRUE(brix::PollUntil([&] { return (gs = send(id, "v1", &after_crash)).ok(); },
                              std::chrono::seconds(20)))
      << gs.error_message();
  EXPECT_TRUE(after_crash.replayed());
  EXPECT_EQ(after_crash.commit_ts(), first.commit_ts());
  ASSERT_TRUE(send(MakeWriteId(*c->pd().GetTs(), 8), "v2", &other).ok());
  EXPECT_FALSE(other.replayed());
  EXPECT_GT(other.commit_ts(), first.commit_ts());
  std::vector<uint64_t> versions;
  ASSERT_TRUE(c->kv()
                  .ScanVersions(key, key + '\0', 0, *c->pd().GetTs(),
                                [&](const Version& v) {
                                  versions.push_back(v.commit_ts());
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(versions, (std::vector<uint64_t>{other.commit_ts(), first.commit_ts()}));
  // Ids that are not ids, or too old to tell a retry from a new write, are refused by name.
  WriteResponse refused;
  gs = send("short", "v3", &refused);
  EXPECT_EQ(gs.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(gs.error_message().find("write_id"), std::string::npos) << gs.error_message();
  const uint64_t old_ts = *c->pd().GetTs() - TsSpanMs(6 * 60 * 1000);
  gs = send(MakeWriteId(old_ts, 1), "v3", &refused);
  EXPECT_EQ(gs.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(gs.error_message().find("older than 5 minutes"), std::string::npos)
      << gs.error_message();
}

TEST(ClusterTest, KillNineOfANodeUnderWritesLosesNoAcknowledgedWrite) {
  auto c = StartCluster(Opts(3));
  ASSERT_TRUE(c);
  std::vector<int64_t> tables;
  for (int i = 0; i < 3; ++i)
    tables.push_back(CreateTable(c->kv(), "db", "k" + std::to_string(i))->id);
  std::mutex mu;
  std::map<std::string, std::string> acked;  // unique keys: insert-only
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        std::string key = RowKey(tables[i % 3], "w" + std::to_string(w) + "-" + std::to_string(i));
        std::string value = "value-" + std::to_string(i);
        if (c->kv().Write({{key, false, value}}).ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acked[key] = value;
        } else {
          ++failures;
        }
      }
    });
  }
  auto count_acked = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };
  // Writers stop and join however the test leaves this scope.
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop, writers};
  ASSERT_TRUE(brix::PollUntil([&] { return count_acked() > 300; }, std::chrono::seconds(20)));
  c->KillNode(1);  // in the middle of writes; writes routed to it fail or wait
  ASSERT_TRUE(c->RestartNode(1).ok());
  size_t at_restart = count_acked();
  ASSERT_TRUE(
      brix::PollUntil([&] { return count_acked() > at_restart + 300; }, std::chrono::seconds(60)));
  stop = true;
  for (auto& t : writers) t.join();
  uint64_t now = *c->pd().GetTs();
  std::map<std::string, std::string> found;
  for (int64_t t : tables) {
    ASSERT_TRUE(c->kv()
                    .Scan(TablePrefix(t), TablePrefix(t + 1), now,
                          [&](const KvPair& p) {
                            found[p.key()] = p.value();
                            return true;
                          })
                    .ok());
  }
  for (const auto& [k, v] : acked) {
    auto it = found.find(k);
    ASSERT_NE(it, found.end()) << "acknowledged write lost";
    EXPECT_EQ(it->second, v);
  }
}

// The leader's etcd keepalive replies arrive later than its lease (a slow etcd or network): it
// must stop serving before etcd can elect the standby, so two leaders never serve at once. Every
// ts handed out by either kvpd is above every ts whose reply came back before it was asked for.
// (A long TSO window keeps the old leader's high-water mark from stopping it by itself.)
TEST(ClusterTest, TsoStaysMonotonicAcrossFailoverWhenKeepaliveRepliesAreDelayed) {
  brix::testing::TempDir hooks;
  const std::string delay_file = hooks.path() + "/keepalive-delay-ms";
  auto c = StartCluster(
      Opts(0, 2, {"--tso-window-ms", "30000", "--test-keepalive-delay-file", delay_file}));
  ASSERT_TRUE(c);
  int leader = -1;
  ASSERT_TRUE(PollUntil([&] { return (leader = c->LeaderPd()) >= 0; }, std::chrono::seconds(20)));
  std::vector<std::string> addrs;
  std::string list = c->pd_addresses();
  for (size_t pos = 0; pos != std::string::npos;) {
    size_t comma = list.find(',', pos);
    addrs.push_back(list.substr(pos, comma == std::string::npos ? comma : comma - pos));
    pos = comma == std::string::npos ? comma : comma + 1;
  }
  ASSERT_EQ(addrs.size(), 2u);
  using Clock = std::chrono::steady_clock;
  struct Sample {
    Clock::time_point sent, received;
    uint64_t ts;
    int pd;
  };
  std::mutex mu;
  std::vector<Sample> samples;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto pd = PdClient::Connect(addrs[static_cast<size_t>(i)], std::chrono::milliseconds(200));
      if (!pd.ok()) return;
      while (!stop.load()) {
        auto sent = Clock::now();
        auto ts = (*pd)->GetTs();
        auto received = Clock::now();
        if (ts.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          samples.push_back({sent, received, *ts, i});
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  auto served_by = [&](int pd) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& s : samples)
      if (s.pd == pd) return true;
    return false;
  };
  ASSERT_TRUE(PollUntil([&] { return served_by(leader); }, std::chrono::seconds(10)));
  {
    std::ofstream(delay_file) << 5000;  // beyond the 3 s lease
  }
  bool failed_over = PollUntil([&] { return served_by(1 - leader); }, std::chrono::seconds(30));
  std::filesystem::remove(delay_file);
  // The old leader's delayed reply comes back now: it must not serve again on its strength.
  std::this_thread::sleep_for(std::chrono::seconds(7));
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failed_over) << "the standby never took over";
  // Sweep in order of sending; `seen` is the largest ts whose reply arrived before that send.
  std::vector<Sample> by_received = samples;
  std::sort(by_received.begin(), by_received.end(),
            [](const Sample& a, const Sample& b) { return a.received < b.received; });
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.sent < b.sent; });
  size_t next = 0;
  uint64_t seen = 0;
  int seen_pd = -1, violations = 0;
  for (const auto& s : samples) {
    while (next < by_received.size() && by_received[next].received < s.sent) {
      if (by_received[next].ts > seen) {
        seen = by_received[next].ts;
        seen_pd = by_received[next].pd;
      }
      ++next;
    }
    if (s.ts <= seen && violations++ < 3) {
      ADD_FAILURE() << "kvpd " << s.pd << " handed out ts " << s.ts << " after kvpd " << seen_pd
                    << " had already handed out " << seen << " (leader was " << leader << ")";
    }
  }
  EXPECT_EQ(violations, 0) << "ts out of real-time order; " << samples.size() << " samples";
}

// A value kvpd cannot read in etcd (here the GC safepoint) is reported naming its key, and the
// kvpd stays up without leading on a guess; once the value is repaired it leads again.
TEST(ClusterTest, AKvpdThatFindsACorruptValueInEtcdNamesItAndDoesNotLeadUntilRepaired) {
  auto c = StartCluster(Opts(0, 1));
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->pd().GetTs().ok());
  auto etcd = etcd::EtcdClient::Connect(c->etcd_endpoint());
  ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
  const std::string key = "/brix/pd/gc/safepoint";
  ASSERT_TRUE((*etcd)->Put(key, "not-a-number").ok());
  c->KillPd(0);
  ASSERT_TRUE(c->RestartPd(0).ok());
  const std::string log = c->dir() + "/kvpd-0.log";
  auto logged = [&] {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("cannot load state") != std::string::npos &&
           text.find(key) != std::string::npos && text.find("not-a-number") != std::string::npos;
  };
  ASSERT_TRUE(PollUntil(logged, std::chrono::seconds(20))) << "see " << log;
  EXPECT_EQ(c->LeaderPd(), -1);
  ASSERT_TRUE((*etcd)->Put(key, "0").ok());
  EXPECT_TRUE(PollUntil([&] { return c->LeaderPd() == 0; }, std::chrono::seconds(20)))
      << "the kvpd did not lead once the value was repaired";
}

// SIGTERM is how Kubernetes and every harness stop a server. gRPC's graceful shutdown also waits
// for every connected client to hang up, which idle clients never do, so a grace period was always
// spent whole: a second per kvnode and per kvpd on every stop, whatever was in flight.
TEST(ClusterTest, ANodeAndAKvpdStoppedWhileClientsStayConnectedExitWithinAFractionOfASecond) {
  auto c = StartCluster(Opts(1));
  ASSERT_NE(c, nullptr);
  // The test's channels to both are connected (a ts from kvpd, a read from the node).
  auto ts = c->pd().GetTs();
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  ASSERT_TRUE(c->kv().Get("stop.k", *ts).ok());
  auto seconds = [](auto f) {
    auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  EXPECT_LT(seconds([&] { c->StopNode(0); }), 0.9) << "kvnode";
  EXPECT_LT(seconds([&] { c->StopPd(0); }), 0.9) << "kvpd";
}

}  // namespace
}  // namespace brix::cluster
