#include "testing/cluster.h"

#include <signal.h>

#include "common/net_util.h"
#include "common/sealed_box.h"
#include "playground/commands.h"
#include "testing/tls.h"

namespace brix::testing {

Status ClusterHarness::Launch(Member& m) {
  BRIX_ASSIGN_OR_RETURN(m.process, ChildProcess::Start(m.argv, {}, m.log));
  bool up = PollUntil(
      [&] { return !m.process.Running() || WaitForPort(m.port, std::chrono::milliseconds(100)); },
      std::chrono::seconds(30));
  if (!up || !m.process.Running())
    return Status::Unavailable(m.argv[0] + " did not start (log " + m.log + "); its last lines:\n" +
                               LogTail(m.log));
  return Status::OK();
}

Result<std::unique_ptr<ClusterHarness>> ClusterHarness::Start(ClusterOptions options) {
  std::unique_ptr<ClusterHarness> h(new ClusterHarness());
  BRIX_ASSIGN_OR_RETURN(h->tls_, TestTls());  // also exports BRIX_TLS_* for in-process clients
  BRIX_ASSIGN_OR_RETURN(h->etcd_, EtcdServer::Start(h->dir_.path() + "/etcd"));
  const std::string key = h->dir_.path() + "/credential.key";
  BRIX_RETURN_IF_ERROR(EnsureCredentialKeyFile(key));
  for (int i = 0; i < options.pds; ++i) {
    Member m;
    BRIX_ASSIGN_OR_RETURN(m.port, FreeLoopbackPort());
    m.argv = playground::KvpdCommand(h->etcd_->endpoint(), m.port, h->tls_,
                                     options.pd_credential_key ? key : "");
    m.argv.insert(m.argv.end(), options.pd_args.begin(), options.pd_args.end());
    m.log = h->dir_.path() + "/kvpd-" + std::to_string(i) + ".log";
    // Appended piece by piece: `(i ? "," : "") + std::string(...)` trips a false -Wrestrict in
    // libstdc++'s operator+(const char*, string&&) with GCC 12 at -O3 (GCC bug 105651).
    if (i) h->pd_list_ += ",";
    h->pd_list_ += "127.0.0.1:";
    h->pd_list_ += std::to_string(m.port);
    h->pds_.push_back(std::move(m));
  }
  for (auto& m : h->pds_) BRIX_RETURN_IF_ERROR(h->Launch(m));
  for (int i = 0; i < options.nodes; ++i) {
    Member m;
    BRIX_ASSIGN_OR_RETURN(m.port, FreeLoopbackPort());
    m.argv = playground::KvnodeCommand(h->pd_list_, m.port,
                                       h->dir_.path() + "/node-" + std::to_string(i), h->tls_,
                                       {0, "", options.node_credential_key ? key : ""});
    m.argv.insert(m.argv.end(), options.node_args.begin(), options.node_args.end());
    m.log = h->dir_.path() + "/node-" + std::to_string(i) + ".log";
    BRIX_RETURN_IF_ERROR(h->Launch(m));  // one by one: store ids follow the index
    h->nodes_.push_back(std::move(m));
  }
  BRIX_ASSIGN_OR_RETURN(h->pd_client_, cluster::PdClient::Connect(h->pd_list_));
  h->kv_ = std::make_unique<cluster::KvClient>(h->pd_client_.get());
  bool registered = PollUntil(
      [&] {
        auto stores = h->pd_client_->GetStores();
        return stores.ok() && stores->size() == static_cast<size_t>(options.nodes);
      },
      std::chrono::seconds(30));
  if (!registered) return Status::Unavailable("kvnodes did not register");
  return h;
}

ClusterHarness::~ClusterHarness() {
  for (size_t i = 0; i < nodes_.size(); ++i) ResumeNode(static_cast<int>(i));
  for (auto& n : nodes_) n.process.Stop();
  for (auto& p : pds_) p.process.Stop();
}

Status ClusterHarness::RestartNode(int i) { return Launch(nodes_[i]); }

void ClusterHarness::FreezeNode(int i) {
  if (nodes_[i].process.pid() > 0) ::kill(nodes_[i].process.pid(), SIGSTOP);
}

void ClusterHarness::ResumeNode(int i) {
  if (nodes_[i].process.pid() > 0) ::kill(nodes_[i].process.pid(), SIGCONT);
}
Status ClusterHarness::RestartPd(int i) { return Launch(pds_[i]); }

int ClusterHarness::LeaderPd() {
  for (size_t i = 0; i < pds_.size(); ++i) {
    if (!pds_[i].process.Running()) continue;
    auto single = cluster::PdClient::Connect("127.0.0.1:" + std::to_string(pds_[i].port),
                                             std::chrono::milliseconds(300));
    if (single.ok() && (*single)->GetTs().ok()) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace brix::testing
