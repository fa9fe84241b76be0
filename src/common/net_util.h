// Loopback helpers: a free port, waiting until something listens on it, and polling a
// condition with a deadline (nothing in brix sleeps to synchronise).
#pragma once

#include <chrono>
#include <functional>

#include "common/result.h"

namespace brix {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read it back, close).
[[nodiscard]] Result<int> FreeLoopbackPort();
// True once a TCP connect to 127.0.0.1:port succeeds, false at the deadline.
bool WaitForPort(int port, std::chrono::milliseconds timeout);
// Calls `done` until it returns true or `timeout` passes; returns its last answer.
bool PollUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(20));

}  // namespace brix
