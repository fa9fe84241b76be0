#include "cluster/pd/leadership.h"

#include <spdlog/spdlog.h>

#include <fstream>

#include "cluster/pd/etcd_layout.h"
#include "etcd/etcd_client.h"

namespace brix::cluster {

Leadership::Leadership(etcd::EtcdClient* etcd, const PdOptions& options,
                       std::function<Status()> on_elected)
    : etcd_(etcd), options_(options), on_elected_(std::move(on_elected)) {}

Leadership::~Leadership() {
  Stop();
  Join();
}

void Leadership::StartCampaign() {
  thread_ = std::thread([this] { CampaignLoop(); });
}

bool Leadership::Leading() const {
  return leader_.load() && SteadyClock::now() < valid_until_.load();
}

void Leadership::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

void Leadership::WaitStopped() {
  std::unique_lock<std::mutex> lock(mu_);
  stop_cv_.wait(lock, [&] { return stopping_.load(); });
}

void Leadership::Join() {
  if (thread_.joinable()) thread_.join();
}

// The lease of a grant/keepalive sent at `sent` is alive until at least sent + TTL; we stop a
// second earlier (margin for etcd's own clock rate and our scheduling).
Leadership::SteadyClock::time_point Leadership::LeaseEnd(SteadyClock::time_point sent) const {
  return sent + options_.leader_ttl - std::chrono::seconds(1);
}

// Test hook: holds a keepalive reply back while options.test_keepalive_delay_file exists.
void Leadership::DelayKeepAliveReplyForTest() {
  if (options_.test_keepalive_delay_file.empty()) return;
  std::ifstream in(options_.test_keepalive_delay_file);
  int64_t ms = 0;
  if (!(in >> ms) || ms <= 0) return;
  spdlog::warn("kvpd {}: test hook: keepalive reply delayed {} ms", options_.listen, ms);
  std::unique_lock<std::mutex> lock(mu_);
  stop_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_.load(); });
}

void Leadership::CampaignLoop() {
  while (!stopping_.load()) {
    if (!leader_.load()) {
      TryBecomeLeader();
    } else {
      auto sent = SteadyClock::now();
      Status s = etcd_->KeepAliveOnce(lease_);
      DelayKeepAliveReplyForTest();
      if (s.ok()) {
        valid_until_ = LeaseEnd(sent);  // from the send: a late reply extends nothing
      } else {
        spdlog::warn("kvpd {}: lost leadership: {}", options_.listen, s.ToString());
        leader_ = false;
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    stop_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_.load(); });
  }
  if (leader_.load()) {
    leader_ = false;
    etcd_->RevokeLease(lease_).IgnoreError();  // hand over at once instead of after the TTL
  }
}

void Leadership::TryBecomeLeader() {
  auto current = etcd_->Get(pd_layout::kLeaderKey);
  if (!current.ok() || current->has_value()) return;
  auto sent = SteadyClock::now();
  auto granted = etcd_->GrantLease(options_.leader_ttl);
  if (!granted.ok()) return;
  auto won = etcd_->PutIfModRevision(pd_layout::kLeaderKey, options_.listen, 0, *granted);
  if (!won.ok()) {
    etcd_->RevokeLease(*granted).IgnoreError();
    return;
  }
  lease_ = *granted;
  Status loaded = on_elected_();
  if (!loaded.ok()) {
    spdlog::error("kvpd {}: cannot load state: {}", options_.listen, loaded.ToString());
    etcd_->RevokeLease(lease_).IgnoreError();
    return;
  }
  valid_until_ = LeaseEnd(sent);
  leader_ = true;
  spdlog::info("kvpd {}: became leader", options_.listen);
}

}  // namespace brix::cluster
