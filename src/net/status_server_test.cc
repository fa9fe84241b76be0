#include "net/status_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/metrics.h"

namespace brix::net {
namespace {

TEST(StatusServer, ServesMetricsAndHealthzOnAnyFreePort) {
  metrics::Default()
      .Counter("brix_status_server_test_total", "A test counter.")
      .WithLabels({})
      .Inc(5);
  auto server = StatusServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_GT((*server)->port(), 0);
  httplib::Client client("127.0.0.1", (*server)->port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), metrics::kContentType);
  EXPECT_NE(metrics->body.find("brix_status_server_test_total 5\n"), std::string::npos);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok");
  EXPECT_EQ(client.Get("/other")->status, 404);
}

TEST(StatusServer, RefusesABadAddressNamingTheFlag) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000", ":80"}) {
    auto server = StatusServer::Start(bad);
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_NE(server.status().message().find("--status-addr"), std::string::npos) << bad;
  }
}

TEST(StatusServer, FailsWhenThePortIsTaken) {
  auto first = StatusServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok());
  auto second = StatusServer::Start((*first)->address());
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace brix::net
