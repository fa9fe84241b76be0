// ClusterHarness: a real cluster for tests — etcd, one or more kvpd and N kvnodes, on free
// loopback ports in a temp folder, every process a child that dies with the test. Nodes and
// kvpds can be killed (SIGKILL) and restarted with their data. Everything speaks mutual TLS with
// the test process's certificates (testing/tls.h; BRIX_TLS_* are set for in-process clients).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cluster/client/kv_client.h"
#include "common/process.h"
#include "testing/etcd.h"
#include "testing/temp_dir.h"

namespace brix::testing {

struct ClusterOptions {
  int nodes = 3;
  int pds = 1;
  std::vector<std::string> pd_args;    // extra kvpd flags
  std::vector<std::string> node_args;  // extra kvnode flags
  // Whether kvpd and the kvnodes get the harness's cluster credential key
  // (<dir>/credential.key, common/sealed_box.h).
  bool pd_credential_key = true;
  bool node_credential_key = true;
};

class ClusterHarness {
 public:
  [[nodiscard]] static Result<std::unique_ptr<ClusterHarness>> Start(ClusterOptions options);
  ~ClusterHarness();

  const std::string& pd_addresses() const { return pd_list_; }
  cluster::PdClient& pd() { return *pd_client_; }
  cluster::KvClient& kv() { return *kv_; }
  const std::string& dir() const { return dir_.path(); }
  std::string etcd_endpoint() const { return etcd_->endpoint(); }
  const net::TlsFiles& tls() const { return tls_; }
  // kvpd i's and kvnode i's host:port.
  std::string PdAddress(int i) const { return "127.0.0.1:" + std::to_string(pds_[i].port); }
  std::string NodeAddress(int i) const { return "127.0.0.1:" + std::to_string(nodes_[i].port); }

  void KillNode(int i) { nodes_[i].process.Kill(); }
  // Stops node i / kvpd i as an operator would (SIGTERM, waiting for it to exit).
  void StopNode(int i) { nodes_[i].process.Stop(); }
  void StopPd(int i) { pds_[i].process.Stop(); }
  // Black-holes node i (SIGSTOP): its sockets stay open but nothing answers. ResumeNode (or the
  // destructor) sends SIGCONT. Safe to call from another thread, e.g. a progress callback.
  void FreezeNode(int i);
  void ResumeNode(int i);
  [[nodiscard]] Status RestartNode(int i);
  void KillPd(int i) { pds_[i].process.Kill(); }
  [[nodiscard]] Status RestartPd(int i);
  // Index of the kvpd that currently leads (asks each for a ts directly), or -1.
  int LeaderPd();

 private:
  struct Member {
    std::vector<std::string> argv;
    int port = 0;
    std::string log;
    ChildProcess process;
  };
  ClusterHarness() = default;
  [[nodiscard]] Status Launch(Member& m);

  TempDir dir_;
  net::TlsFiles tls_;
  std::unique_ptr<EtcdServer> etcd_;
  std::vector<Member> pds_, nodes_;
  std::string pd_list_;
  std::unique_ptr<cluster::PdClient> pd_client_;
  std::unique_ptr<cluster::KvClient> kv_;
};

}  // namespace brix::testing
