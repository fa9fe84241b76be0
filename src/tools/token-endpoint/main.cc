// token-endpoint: playground/token_endpoint.h as a process, the Entra ID stand-in that
// `brix playground` starts for Azurite's OAuth (azblob-secret-ad). The client secret comes from
// a file (never argv); the endpoint serves HTTPS with --cert/--key until SIGTERM.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iterator>

#include "common/signals.h"
#include "playground/token_endpoint.h"
#include "tools/cli_exit.h"

int main(int argc, char** argv) {
  brix::BlockTerminationSignals();
  CLI::App app{"token-endpoint: a local Entra ID token endpoint for the playground's Azurite"};
  brix::playground::TokenEndpointOptions o;
  std::string secret_file;
  app.add_option("--port", o.port, "loopback port to serve on")->required();
  app.add_option("--tenant-id", o.tenant_id, "the tenant of the token path")->required();
  app.add_option("--client-id", o.client_id, "the accepted client id")->required();
  app.add_option("--client-secret-file", secret_file, "file holding the accepted client secret")
      ->required();
  app.add_option("--federated-token-file", o.federated_token_file,
                 "workload identity: the accepted client assertion is this file's content");
  app.add_flag("--managed-identity", o.managed_identity, "serve the IMDS token path too");
  app.add_option("--cert", o.cert_file, "serve HTTPS with this certificate (PEM)");
  app.add_option("--key", o.key_file, "the certificate's key (PEM)");
  if (auto usage = brix::tools::ParseCommandLine(app, argc, argv)) return *usage;
  std::ifstream in(secret_file);
  o.client_secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  while (!o.client_secret.empty() && o.client_secret.back() == '\n') o.client_secret.pop_back();
  if (o.client_secret.empty()) {
    return brix::tools::UsageError("--client-secret-file: " + secret_file +
                                   " is empty or unreadable");
  }
  auto endpoint = brix::playground::TokenEndpoint::Start(o);
  if (!endpoint.ok()) return brix::tools::FailureExit(endpoint.status());
  brix::WaitForTerminationSignal();
  (*endpoint)->Stop();
  return brix::tools::kExitSuccess;
}
