#include "common/net_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

namespace brix {

namespace {

// The first port of the kernel's range for the local ports of outgoing connections (and of
// bind to port 0).
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 0;
  if (!(in >> lo) || lo <= 0) return 32768;  // Linux's default
  return lo;
}

// Binds a loopback socket to `port` (0: the kernel picks one in the ephemeral range) and
// returns the port bound, or 0.
int ProbeBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      bound = ntohs(addr.sin_port);
    }
  }
  ::close(fd);
  return bound;
}

}  // namespace

Result<int> FreeLoopbackPort() {
  constexpr int kFirst = 10000;               // well above the ports of system services
  const int below = EphemeralLow() - kFirst;  // candidates [kFirst, EphemeralLow())
  if (below >= 1000) {
    // One walk per process from a random start: a process never hands out a port twice before
    // the walk wraps (a playground picks all its ports before any server binds one), and two
    // processes collide only if their starts fall within a few dozen ports of each other.
    static std::atomic<unsigned> next{std::random_device{}()};
    for (int attempt = 0; attempt < 100; ++attempt) {
      int port = kFirst + static_cast<int>(next++ % static_cast<unsigned>(below));
      if (ProbeBind(port) == port) return port;
    }
  }
  // No room below the ephemeral range, or all tried were taken: the kernel's pick.
  if (int port = ProbeBind(0); port > 0) return port;
  return Status::IOError("bind to a free loopback port failed");
}

bool WaitForPort(int port, std::chrono::milliseconds timeout) {
  return PollUntil(
      [port] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        ::close(fd);
        return ok;
      },
      timeout, std::chrono::milliseconds(50));
}

bool PollUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace brix
