#include "testing/etcd.h"

#include <filesystem>

#include "common/net_util.h"
#include "playground/commands.h"
#include "testing/tls.h"

namespace brix::testing {

Result<std::unique_ptr<EtcdServer>> EtcdServer::Start(std::string data_dir) {
  std::unique_ptr<EtcdServer> server(new EtcdServer());
  BRIX_ASSIGN_OR_RETURN(server->tls_, TestTls());
  if (data_dir.empty()) {
    server->owned_dir_ = std::make_unique<TempDir>();
    data_dir = server->owned_dir_->path();
  }
  server->data_dir_ = data_dir;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::IOError("create " + data_dir + ": " + ec.message());
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
  std::vector<std::string> argv =
      playground::EtcdCommand(data_dir_ + "/etcd-data", client_port_, peer_port_, tls_);
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

std::string EtcdServer::endpoint() const { return playground::EtcdEndpoint(client_port_); }

Status EtcdServer::Restart() {
  process_.Stop();
  return Launch();
}

EtcdServer::~EtcdServer() { process_.Stop(); }

}  // namespace brix::testing
