// gRPC channels from BR coordinators to kvnodes, and the limits on every call made over them.
//
// A node can be black-holed (stopped, partitioned, its machine gone without a reset): without a
// limit a call to it waits forever and so does the backup or restore. The contract:
// - every unary node call (Download, Ingest, ApplyVersions) gets a deadline of
//   `floor + bytes / min_bytes_per_sec`, `bytes` being what the call moves (0 for control calls);
//   SetNodeDeadline is the one place that computes it;
// - every server stream (Backup) is cancelled when no message arrives within `stall`
//   (StreamStallGuard); the caller treats it like any failed call and retries the work.
// A call that hits its limit fails with DEADLINE_EXCEEDED or CANCELLED; callers retry or fail the
// operation, naming the node.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace brix::br {

// `credentials`: the cluster's (PdClient::channel_credentials(), net/grpc_tls.h).
std::shared_ptr<grpc::Channel> NodeChannel(
    const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials);

// Defaults: generous, so that only a node that stopped answering trips them.
inline constexpr std::chrono::milliseconds kNodeRpcFloor{60'000};
inline constexpr uint64_t kNodeRpcMinBytesPerSec = 1 << 20;  // 1 MiB/s
inline constexpr std::chrono::milliseconds kNodeStreamStall{300'000};

struct NodeRpcLimits {
  std::chrono::milliseconds floor = kNodeRpcFloor;      // every unary call may take this long
  uint64_t min_bytes_per_sec = kNodeRpcMinBytesPerSec;  // plus its bytes at this throughput
  std::chrono::milliseconds stall = kNodeStreamStall;   // longest silence of a stream

  // The deadline (from now) of a call that moves `bytes`.
  std::chrono::milliseconds For(uint64_t bytes) const;
  // These limits for transfers the caller itself slows to `bytes_per_sec` (0 = not limited):
  // the throughput assumed never exceeds it.
  NodeRpcLimits Throttled(double bytes_per_sec) const;
  // The stall limit of a stream that may move `bytes` between two messages: `stall`, or For(bytes)
  // when that is longer.
  std::chrono::milliseconds StallFor(uint64_t bytes) const;
};

// Sets `ctx`'s deadline to now + limits.For(bytes). Call before starting the call.
void SetNodeDeadline(grpc::ClientContext& ctx, const NodeRpcLimits& limits, uint64_t bytes = 0);

// Cancels the call of `ctx` when Progress() is not called for `stall`. Declare it after the
// ClientContext (it must be destroyed first); destruction stops the watch.
class StreamStallGuard {
 public:
  StreamStallGuard(grpc::ClientContext& ctx, std::chrono::milliseconds stall);
  ~StreamStallGuard();
  StreamStallGuard(const StreamStallGuard&) = delete;
  StreamStallGuard& operator=(const StreamStallGuard&) = delete;

  void Progress();          // a message arrived
  bool Stalled() const;     // true once the guard cancelled the call
  std::string Why() const;  // the error to report for a stalled call

 private:
  using Clock = std::chrono::steady_clock;
  const std::chrono::milliseconds stall_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Clock::time_point last_;
  bool stop_ = false;
  bool stalled_ = false;
  std::thread watcher_;
};

}  // namespace brix::br
