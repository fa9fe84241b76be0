#include "br/snapshot/node_channel.h"

#include <algorithm>

namespace brix::br {

std::shared_ptr<grpc::Channel> NodeChannel(
    const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, credentials, args);
}

std::chrono::milliseconds NodeRpcLimits::For(uint64_t bytes) const {
  const uint64_t rate = std::max<uint64_t>(1, min_bytes_per_sec);
  return floor + std::chrono::milliseconds(bytes / rate * 1000 + (bytes % rate) * 1000 / rate);
}

NodeRpcLimits NodeRpcLimits::Throttled(double bytes_per_sec) const {
  NodeRpcLimits l = *this;
  if (bytes_per_sec > 0) {
    l.min_bytes_per_sec =
        std::min(l.min_bytes_per_sec, std::max<uint64_t>(1, static_cast<uint64_t>(bytes_per_sec)));
  }
  return l;
}

std::chrono::milliseconds NodeRpcLimits::StallFor(uint64_t bytes) const {
  return std::max(stall, For(bytes));
}

void SetNodeDeadline(grpc::ClientContext& ctx, const NodeRpcLimits& limits, uint64_t bytes) {
  ctx.set_deadline(std::chrono::system_clock::now() + limits.For(bytes));
}

StreamStallGuard::StreamStallGuard(grpc::ClientContext& ctx, std::chrono::milliseconds stall)
    : stall_(stall), last_(Clock::now()) {
  watcher_ = std::thread([this, &ctx] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      auto due = last_ + stall_;
      if (Clock::now() >= due) {
        stalled_ = true;
        ctx.TryCancel();
        return;
      }
      cv_.wait_until(lock, due);
    }
  });
}

StreamStallGuard::~StreamStallGuard() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  watcher_.join();
}

void StreamStallGuard::Progress() {
  std::lock_guard<std::mutex> lock(mu_);
  last_ = Clock::now();
}

bool StreamStallGuard::Stalled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stalled_;
}

std::string StreamStallGuard::Why() const {
  return "the node sent nothing for " + std::to_string(stall_.count()) +
         " ms (stall limit); the call was cancelled";
}

}  // namespace brix::br
