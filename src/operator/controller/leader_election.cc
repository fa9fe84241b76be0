#include "operator/controller/leader_election.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>

#include "common/encoding.h"
#include "common/random.h"

namespace brix::controller {
namespace {

using Json = client::Json;
using SteadyClock = std::chrono::steady_clock;

// A Kubernetes MicroTime: RFC 3339 UTC with microseconds.
std::string MicroTimeNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(micros.count()));
  return buf;
}

int Seconds(std::chrono::milliseconds d) {
  return static_cast<int>(std::max<int64_t>(1, (d.count() + 999) / 1000));
}

}  // namespace

std::string DefaultLeaderIdentity() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "brix-operator") + "_" +
         HexEncode(RandomBytes16()).substr(0, 8);
}

LeaderElector::LeaderElector(client::ApiClient* client, LeaderElectionOptions options)
    : client_(client), options_(std::move(options)) {}

LeaderElector::~LeaderElector() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

Result<bool> LeaderElector::TryAcquireOrRenew() {
  const std::string now = MicroTimeNow();
  auto existing = client_->Get(client::Leases(), options_.ns, options_.name);
  if (!existing.ok() && !existing.status().IsNotFound()) return existing.status();
  if (!existing.ok()) {
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", options_.name}, {"namespace", options_.ns}}},
                  {"spec",
                   {{"holderIdentity", options_.identity},
                    {"leaseDurationSeconds", Seconds(options_.lease_duration)},
                    {"acquireTime", now},
                    {"renewTime", now},
                    {"leaseTransitions", 0}}}};
    auto created = client_->Create(client::Leases(), options_.ns, lease);
    if (created.ok()) {
      observed_record_ = created->value("spec", Json::object()).dump();
      observed_at_ = SteadyClock::now();
      return true;
    }
    if (created.status().IsAlreadyExists()) return false;  // another got there first
    return created.status();
  }
  Json lease = std::move(existing).value();
  Json spec = lease.value("spec", Json::object());
  if (!spec.is_object()) spec = Json::object();
  const std::string holder = spec.value("holderIdentity", "");
  const std::string record = spec.dump();
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = SteadyClock::now();
  }
  const bool mine = holder == options_.identity;
  if (!holder.empty() && !mine) {
    int duration_s = spec.value("leaseDurationSeconds", Seconds(options_.lease_duration));
    if (SteadyClock::now() < observed_at_ + std::chrono::seconds(duration_s))
      return false;  // valid
    spdlog::info("leader election: the lease {}/{} held by {} expired; taking it", options_.ns,
                 options_.name, holder);
  }
  if (!mine) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + (holder.empty() ? 0 : 1);
  }
  spec["holderIdentity"] = options_.identity;
  spec["leaseDurationSeconds"] = Seconds(options_.lease_duration);
  spec["renewTime"] = now;
  lease["spec"] = spec;
  auto updated = client_->Update(client::Leases(), lease);  // carries the resourceVersion read
  if (!updated.ok()) {
    if (updated.status().code() == Status::Code::kAborted) return false;  // lost a race
    return updated.status();
  }
  observed_record_ = updated->value("spec", Json::object()).dump();
  observed_at_ = SteadyClock::now();
  return true;
}

bool LeaderElector::Acquire(const std::function<bool(std::chrono::milliseconds)>& wait) {
  spdlog::info("leader election: {} wants the lease {}/{}", options_.identity, options_.ns,
               options_.name);
  for (;;) {
    auto r = TryAcquireOrRenew();
    if (r.ok() && *r) {
      spdlog::info("leader election: {} acquired the lease {}/{}", options_.identity, options_.ns,
                   options_.name);
      return true;
    }
    if (!r.ok()) spdlog::warn("leader election: {}", r.status().ToString());
    if (!wait(options_.retry_period)) return false;
  }
}

void LeaderElector::KeepRenewing(std::function<void()> on_lost) {
  renewer_ = std::thread([this, on_lost = std::move(on_lost)] {
    auto last_renewed = SteadyClock::now();
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (cv_.wait_for(lock, options_.retry_period, [this] { return stop_; })) return;
      }
      auto r = TryAcquireOrRenew();
      if (r.ok() && *r) {
        last_renewed = SteadyClock::now();
        continue;
      }
      spdlog::warn("leader election: renewing the lease {}/{} failed: {}", options_.ns,
                   options_.name, r.ok() ? "held by another" : r.status().ToString());
      if (SteadyClock::now() - last_renewed >= options_.renew_deadline) {
        spdlog::error("leader election: {} lost the lease {}/{}", options_.identity, options_.ns,
                      options_.name);
        on_lost();
        return;
      }
    }
  });
}

void LeaderElector::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  auto lease = client_->Get(client::Leases(), options_.ns, options_.name);
  if (!lease.ok() || (*lease)["spec"].value("holderIdentity", "") != options_.identity) return;
  const std::string now = MicroTimeNow();
  (*lease)["spec"]["holderIdentity"] = "";
  (*lease)["spec"]["leaseDurationSeconds"] = 1;
  (*lease)["spec"]["renewTime"] = now;
  auto r = client_->Update(client::Leases(), *lease);
  if (r.ok()) {
    spdlog::info("leader election: {} released the lease", options_.identity);
  } else {
    spdlog::warn("leader election: releasing the lease: {}", r.status().ToString());
  }
}

}  // namespace brix::controller
