// EtcdServer: a real etcd (Debian etcd-server) on free loopback ports in a temp folder, stopped
// by pid on destruction. Restart() keeps the data directory (crash/restart tests). It serves
// clients over mutual TLS with the test process's certificates (testing/tls.h), which Start()
// makes and exports (BRIX_TLS_*) if no one has yet.
#pragma once

#include <memory>
#include <string>

#include "common/process.h"
#include "common/result.h"
#include "net/tls_certs.h"
#include "testing/temp_dir.h"

namespace brix::testing {

class EtcdServer {
 public:
  // `data_dir` empty: a fresh temp folder owned by the server.
  [[nodiscard]] static Result<std::unique_ptr<EtcdServer>> Start(std::string data_dir = "");
  ~EtcdServer();

  // "https://127.0.0.1:PORT"
  std::string endpoint() const;
  pid_t pid() const { return process_.pid(); }
  void Stop() { process_.Stop(); }
  void Kill() { process_.Kill(); }
  [[nodiscard]] Status Restart();

 private:
  EtcdServer() = default;
  [[nodiscard]] Status Launch();
  std::unique_ptr<TempDir> owned_dir_;
  std::string data_dir_;
  net::TlsFiles tls_;
  ChildProcess process_;
  int client_port_ = 0;
  int peer_port_ = 0;
};

}  // namespace brix::testing
