// Loopback helpers: a free port, waiting until something listens on it, and polling a
// condition with a deadline (nothing in brix sleeps to synchronise).
#pragma once

#include <chrono>
#include <functional>

#include "common/result.h"

namespace brix {

// A TCP port on 127.0.0.1 that was free a moment ago (bound, then closed), for a server started
// next. Taken below the kernel's ephemeral range (ip_local_port_range, from 10000 up; each process
// walks it from a random start, so it never hands out one port twice before the walk wraps):
// every outgoing connection on the machine takes its local port from that range, so a port
// picked there could be taken before the server binds it (a playground's kvnode died at start
// with "cannot listen" that way). Falls back to the kernel's pick if that range has no room.
[[nodiscard]] Result<int> FreeLoopbackPort();
// True once a TCP connect to 127.0.0.1:port succeeds, false at the deadline.
bool WaitForPort(int port, std::chrono::milliseconds timeout);
// Calls `done` until it returns true or `timeout` passes; returns its last answer.
bool PollUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(20));

}  // namespace brix
