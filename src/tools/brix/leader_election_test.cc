// The operator's leader election against a real brixd's Leases over HTTPS (client-go's
// semantics; operator/controller/leader_election.h).
#include "operator/controller/leader_election.h"

#include <atomic>

#include "operator/apiserver/brixd_fixture.h"
#include "operator/client/http_client.h"

namespace brix::apiserver {
namespace {

using LeaderElectionTest = BrixdTest;

TEST_F(LeaderElectionTest, OneLeaderAtATimeAndAStandbyTakesAnExpiredLease) {
  auto api = std::make_unique<client::HttpApiClient>(ApiOptions());
  auto options = [](const std::string& id) {
    controller::LeaderElectionOptions o;
    o.ns = "default";
    o.identity = id;
    o.lease_duration = 2s;
    o.renew_deadline = 1500ms;
    o.retry_period = 200ms;
    return o;
  };
  auto a = std::make_unique<controller::LeaderElector>(api.get(), options("a"));
  controller::LeaderElector b(api.get(), options("b"));
  auto ra = a->TryAcquireOrRenew();
  ASSERT_TRUE(ra.ok() && *ra) << (ra.ok() ? "not leader" : ra.status().ToString());
  // b's clock starts at its first look at the record (client-go's observedTime).
  auto first_seen = std::chrono::steady_clock::now();
  auto rb = b.TryAcquireOrRenew();
  ASSERT_TRUE(rb.ok());
  EXPECT_FALSE(*rb);
  EXPECT_NE(Ok({"get", "leases", "-n", "default"}).find("brix-operator   a"), std::string::npos);

  // a dies without releasing: b takes over once the record stayed unchanged for the duration.
  a.reset();
  ASSERT_TRUE(b.Acquire([](std::chrono::milliseconds d) {
    std::this_thread::sleep_for(d);  // the retry period, as the operator waits
    return true;
  }));
  auto took = std::chrono::steady_clock::now() - first_seen;
  EXPECT_GE(took, 2s);  // the lease duration, never less
  EXPECT_LT(took, 4s);
  auto lease = api->Get(client::Leases(), "default", "brix-operator");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);

  // Someone else writes the lease: b cannot renew and reports the loss within the deadline.
  std::atomic<bool> lost{false};
  b.KeepRenewing([&] { lost = true; });
  ASSERT_TRUE(client::MutateObject(*api, client::Leases(), "default", "brix-operator", [](Json& l) {
                l["spec"]["holderIdentity"] = "intruder";
                return true;
              }).ok());
  EXPECT_TRUE(PollUntil([&] { return lost.load(); }, 5s));

  // A clean stop gives the lease up at once.
  controller::LeaderElector c(api.get(), options("c"));
  ASSERT_TRUE(client::MutateObject(*api, client::Leases(), "default", "brix-operator", [](Json& l) {
                l["spec"]["holderIdentity"] = "c";
                return true;
              }).ok());
  auto rc = c.TryAcquireOrRenew();
  ASSERT_TRUE(rc.ok() && *rc);
  c.Release();
  controller::LeaderElector d(api.get(), options("d"));
  auto rd = d.TryAcquireOrRenew();
  ASSERT_TRUE(rd.ok());
  EXPECT_TRUE(*rd);
}

}  // namespace
}  // namespace brix::apiserver
