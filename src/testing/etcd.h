// EtcdServer: a real etcd (Debian etcd-server) on free loopback ports in a temp folder, stopped
// by pid on destruction. Restart() keeps the data directory (crash/restart tests).
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "testing/net_util.h"
#include "testing/process.h"

namespace brix::testing {

class EtcdServer {
 public:
  // `data_dir` empty: a fresh temp folder owned by the server.
  [[nodiscard]] static Result<std::unique_ptr<EtcdServer>> Start(std::string data_dir = "");
  ~EtcdServer();

  // "http://127.0.0.1:PORT"
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }
  pid_t pid() const { return process_.pid(); }
  void Stop() { process_.Stop(); }
  void Kill() { process_.Kill(); }
  [[nodiscard]] Status Restart();

 private:
  EtcdServer() = default;
  [[nodiscard]] Status Launch();
  std::unique_ptr<TempDir> owned_dir_;
  std::string data_dir_;
  ChildProcess process_;
  int client_port_ = 0;
  int peer_port_ = 0;
};

}  // namespace brix::testing
