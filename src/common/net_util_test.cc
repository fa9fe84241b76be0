// Ports for servers (net_util.h): a port handed out is free on loopback, and it never lies in
// the kernel's ephemeral range, where any process's outgoing connection may take it before the
// server binds it.
#include "common/net_util.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

namespace brix {
namespace {

std::pair<int, int> KernelEphemeralRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 0, hi = 0;
  in >> lo >> hi;
  return {lo, hi};
}

bool Binds(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

TEST(FreeLoopbackPort, IsFreeNeverRepeatsAndLiesBelowTheEphemeralRangeOutgoingConnectionsUse) {
  auto [lo, hi] = KernelEphemeralRange();
  ASSERT_GT(lo, 0);
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) {
    auto port = FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    EXPECT_TRUE(*port < lo || *port > hi) << *port << " is in [" << lo << ", " << hi << "]";
    EXPECT_GT(*port, 1023);
    EXPECT_TRUE(Binds(*port)) << *port;
    seen.insert(*port);
  }
  // A playground takes all its ports before its servers bind any: none may be handed out twice.
  EXPECT_EQ(seen.size(), 200u);
}

}  // namespace
}  // namespace brix
