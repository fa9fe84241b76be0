#include "testing/azurite.h"

#include <cstdlib>
#include <filesystem>

#include "common/net_util.h"
#include "playground/commands.h"

namespace brix::testing {

Result<std::unique_ptr<AzuriteServer>> AzuriteServer::Start(AzuriteOptions options) {
  std::string script = playground::AzuriteBlobScript();
  if (!std::filesystem::exists(script)) {
    return Status::NotFound("azurite is not installed at " + script + " (run scripts/setup)");
  }
  std::unique_ptr<AzuriteServer> server(new AzuriteServer());
  server->dir_ = std::make_unique<TempDir>();
  // The port can be taken between picking and binding; try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    BRIX_ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
    std::vector<std::string> argv =
        playground::AzuriteCommand(port, options.cert_file, options.key_file, options.oauth);
    server->https_ = !options.cert_file.empty();
    std::string log = server->dir_->path() + "/azurite.log";
    BRIX_ASSIGN_OR_RETURN(server->process_, ChildProcess::Start(argv, {}, log));
    server->port_ = port;
    bool up = PollUntil(
        [&] {
          return !server->process_.Running() || WaitForPort(port, std::chrono::milliseconds(100));
        },
        std::chrono::seconds(30));
    if (up && server->process_.Running()) return server;
    server->process_.Stop();
  }
  return Status::Unavailable("azurite did not start (see logs under " + server->dir_->path() + ")");
}

AzuriteServer::~AzuriteServer() { process_.Stop(); }

std::string AzuriteServer::endpoint() const {
  return std::string(https_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/" +
         kAzuriteAccount;
}

std::string AzuriteServer::connection_string() const {
  return std::string("DefaultEndpointsProtocol=") + (https_ ? "https" : "http") +
         ";AccountName=" + kAzuriteAccount + ";AccountKey=" + kAzuriteKey +
         ";BlobEndpoint=" + endpoint() + ";";
}

std::map<std::string, std::string> AzuriteServer::SharedKeyEnv() const {
  return {{"AZURE_STORAGE_ACCOUNT", kAzuriteAccount},
          {"AZURE_STORAGE_KEY", kAzuriteKey},
          {"AZURE_STORAGE_CONNECTION_STRING", connection_string()}};
}

}  // namespace brix::testing
