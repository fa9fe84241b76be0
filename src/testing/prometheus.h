// PrometheusServer: the real Prometheus (Debian package `prometheus`, which scripts/setup
// installs) for tests: started on a free loopback port with its data in a temp folder and the
// given scrape configuration, stopped by pid when the object goes (ChildProcess; it also dies
// with the test process). Query() asks its HTTP API (/api/v1/query).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/process.h"
#include "common/result.h"

namespace brix::testing {

class PrometheusServer {
 public:
  // Whether the `prometheus` binary is on PATH (tests skip, saying so, when not).
  static bool Available();
  // Writes `config` (prometheus.yml text) to DIR/prometheus.yml and starts Prometheus with
  // its TSDB in DIR/data; returns once its API answers (Unavailable after `timeout`).
  [[nodiscard]] static Result<std::unique_ptr<PrometheusServer>> Start(
      const std::string& dir, const std::string& config,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  int port() const { return port_; }
  // The `data.result` array of an instant query (error: the API's error text).
  [[nodiscard]] Result<nlohmann::json> Query(const std::string& expr) const;
  // The `data.activeTargets` of /api/v1/targets, for failure messages.
  std::string Targets() const;

 private:
  PrometheusServer() = default;
  ChildProcess process_;
  int port_ = 0;
};

}  // namespace brix::testing
