#include "testing/etcd.h"

namespace brix::testing {

Result<std::unique_ptr<EtcdServer>> EtcdServer::Start(std::string data_dir) {
  std::unique_ptr<EtcdServer> server(new EtcdServer());
  if (data_dir.empty()) {
    server->owned_dir_ = std::make_unique<TempDir>();
    data_dir = server->owned_dir_->path();
  }
  server->data_dir_ = data_dir;
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {  // a picked port can be taken meanwhile
    BRIX_ASSIGN_OR_RETURN(server->client_port_, FreeLoopbackPort());
    BRIX_ASSIGN_OR_RETURN(server->peer_port_, FreeLoopbackPort());
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

Status EtcdServer::Launch() {
  std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
  std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> argv = {"etcd",
                                   "--name",
                                   "brix",
                                   "--data-dir",
                                   data_dir_ + "/etcd-data",
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--initial-cluster",
                                   "brix=" + peer,
                                   "--log-level",
                                   "error"};
  BRIX_ASSIGN_OR_RETURN(process_, ChildProcess::Start(argv, {}, data_dir_ + "/etcd.log"));
  bool up = PollUntil(
      [&] {
        return !process_.Running() || WaitForPort(client_port_, std::chrono::milliseconds(100));
      },
      std::chrono::seconds(30));
  if (up && process_.Running()) return Status::OK();
  process_.Stop();
  return Status::Unavailable("etcd did not start (log: " + data_dir_ + "/etcd.log)");
}

Status EtcdServer::Restart() {
  process_.Stop();
  return Launch();
}

EtcdServer::~EtcdServer() { process_.Stop(); }

}  // namespace brix::testing
