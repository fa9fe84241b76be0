#include "etcd/etcd_client.h"

#include <gtest/gtest.h>

#include <mutex>

#include "common/net_util.h"
#include "testing/etcd.h"

namespace brix::etcd {
namespace {

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = brix::testing::EtcdServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    auto client = EtcdClient::Connect(server_->endpoint());
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
  }
  std::unique_ptr<brix::testing::EtcdServer> server_;
  std::unique_ptr<EtcdClient> client_;
};

TEST_F(EtcdClientTest, PutGetRangeDelete) {
  ASSERT_TRUE(client_->Put("a/1", "one").ok());
  ASSERT_TRUE(client_->Put("a/2", std::string("t\0wo", 4)).ok());
  ASSERT_TRUE(client_->Put("b/1", "x").ok());
  auto one = client_->Get("a/1");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->value, "one");
  auto missing = client_->Get("zz");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());
  auto a = client_->GetPrefix("a/");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->kvs.size(), 2u);
  EXPECT_EQ(a->kvs[1].value, std::string("t\0wo", 4));
  auto limited = client_->GetPrefix("", 1);
  EXPECT_TRUE(limited->more);
  EXPECT_EQ(*client_->DeletePrefix("a/"), 2);
  EXPECT_EQ(*client_->Delete("b/1"), 1);
  EXPECT_EQ(*client_->Delete("b/1"), 0);
}

TEST_F(EtcdClientTest, CompareAndSwapOnModRevision) {
  auto created = client_->PutIfModRevision("k", "v1", 0);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(client_->PutIfModRevision("k", "again", 0).status().code(),
            Status::Code::kFailedPrecondition);
  auto updated = client_->PutIfModRevision("k", "v2", *created);
  ASSERT_TRUE(updated.ok());
  auto stale = client_->PutIfModRevision("k", "v3", *created);
  EXPECT_EQ(stale.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ((*client_->Get("k"))->value, "v2");
  EXPECT_FALSE(client_->DeleteIfModRevision("k", *created).ok());
  EXPECT_TRUE(client_->DeleteIfModRevision("k", *updated).ok());
}

TEST_F(EtcdClientTest, LeaseKeysVanishWhenRevoked) {
  auto lease = client_->GrantLease(std::chrono::seconds(30));
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(client_->Put("leader", "me", *lease).ok());
  EXPECT_TRUE(client_->KeepAliveOnce(*lease).ok());
  ASSERT_TRUE(client_->RevokeLease(*lease).ok());
  EXPECT_FALSE(client_->Get("leader")->has_value());
  EXPECT_FALSE(client_->KeepAliveOnce(*lease).ok());
}

TEST_F(EtcdClientTest, WatchDeliversHistoryAndNewEvents) {
  auto r1 = client_->Put("w/a", "1");
  ASSERT_TRUE(r1.ok());
  std::mutex mu;
  std::vector<Event> seen;
  auto watch = client_->WatchPrefix("w/", *r1, [&](const std::vector<Event>& events) {
    std::lock_guard<std::mutex> lock(mu);
    seen.insert(seen.end(), events.begin(), events.end());
    return true;
  });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  ASSERT_TRUE(client_->Put("w/b", "2").ok());
  ASSERT_TRUE(client_->Put("other", "x").ok());
  ASSERT_TRUE(client_->Delete("w/a").ok());
  bool got = brix::PollUntil(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return seen.size() >= 3;
      },
      std::chrono::seconds(10));
  ASSERT_TRUE(got);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kv.key, "w/a");  // from history (start revision)
  EXPECT_EQ(seen[1].kv.value, "2");
  EXPECT_EQ(seen[2].type, Event::Type::kDelete);
}

TEST_F(EtcdClientTest, UnreachableServerIsUnavailableNotAHang) {
  server_->Stop();
  EtcdClient::Options o;
  o.timeout = std::chrono::milliseconds(500);
  auto client = EtcdClient::Connect(server_->endpoint(), o);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Get("x");
  EXPECT_TRUE(r.status().IsRetryable()) << r.status().ToString();
}

}  // namespace
}  // namespace brix::etcd
