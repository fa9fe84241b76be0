// HttpApiClient's watch against a real brixd over HTTPS (what `brix operator` relies on when it
// runs as its own process; its leader election: tools/brix/leader_election_test.cc).
#include <atomic>
#include <mutex>

#include "operator/apiserver/brixd_fixture.h"
#include "operator/client/http_client.h"

namespace brix::apiserver {
namespace {

using HttpClientTest = BrixdTest;

Json SecretNamed(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"stringData", {{"k", "v"}}}};
}

struct Seen {
  std::mutex mu;
  std::vector<std::string> events;  // "TYPE name"
  void Add(const client::WatchEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e.type + " " + client::NameOf(e.object));
  }
  bool Has(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    return std::find(events.begin(), events.end(), what) != events.end();
  }
};

TEST_F(HttpClientTest, WatchStreamsChangesSurvivesABrixdRestartAndStopsAtOnce) {
  auto api = std::make_unique<client::HttpApiClient>(ApiOptions());
  ASSERT_TRUE(api->Create(client::Secrets(), "default", SecretNamed("before")).ok());
  Seen seen;
  auto w = api->Watch(client::Secrets(), [&](const client::WatchEvent& e) { seen.Add(e); });
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE(api->Create(client::Secrets(), "default", SecretNamed("one")).ok());
  EXPECT_TRUE(PollUntil([&] { return seen.Has("ADDED one"); }, 10s));
  ASSERT_TRUE(api->Delete(client::Secrets(), "default", "one").ok());
  EXPECT_TRUE(PollUntil([&] { return seen.Has("DELETED one"); }, 10s));
  EXPECT_FALSE(seen.Has("ADDED before"));  // only later changes

  // brixd goes away and comes back (same state folder: same token and certificate); the watch
  // reconnects from the last resourceVersion it saw.
  brixd_.Stop();
  StartBrixd();
  ASSERT_TRUE(api->Create(client::Secrets(), "default", SecretNamed("two")).ok());
  EXPECT_TRUE(PollUntil([&] { return seen.Has("ADDED two"); }, 20s));

  auto start = std::chrono::steady_clock::now();
  w->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

}  // namespace
}  // namespace brix::apiserver
