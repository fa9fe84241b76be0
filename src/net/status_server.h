// StatusServer: the status port of kvpd and kvnode (flag --status-addr): plain HTTP on its own
// port, serving
//   GET /metrics  the process's metrics (common/metrics.h Default()), Prometheus text 0.0.4
//   GET /healthz  "ok"
// Like TiKV's and PD's status address it is separate from the gRPC port; like the kubelet's
// read-only port it carries no secrets (docs/metrics.md says what the series hold), so it has
// no TLS or authentication: bind it to loopback or a private network (docs/security.md).
//
// Start() binds before it returns (port 0: any free port; port() is the bound one) and serves
// on its own threads until Stop() or destruction.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace httplib {
class Server;
}

namespace brix::net {

class StatusServer {
 public:
  // `address`: HOST:PORT.
  [[nodiscard]] static Result<std::unique_ptr<StatusServer>> Start(const std::string& address);
  ~StatusServer();
  void Stop();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // host:port as bound.
  std::string address() const { return host_ + ":" + std::to_string(port_); }

 private:
  StatusServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

}  // namespace brix::net
