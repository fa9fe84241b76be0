// kvpd: the placement driver daemon. See cluster/pd/pd_server.h.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cluster/pd/pd_server.h"
#include "common/logging.h"
#include "common/sealed_box.h"
#include "common/signals.h"
#include "net/status_server.h"
#include "net/tls_flags.h"
#include "tools/cli_exit.h"

int main(int argc, char** argv) {
  brix::BlockTerminationSignals();
  CLI::App app{"kvpd: placement driver of the brix key-value cluster"};
  brix::cluster::PdOptions options;
  std::string log_level = "info";
  int64_t gc_life_seconds = 600;
  app.add_option("--etcd", options.etcd_endpoint, "etcd endpoint, http://host:port")->required();
  app.add_option("--listen", options.listen, "host:port to serve on")->required();
  app.add_option("--gc-life-time", gc_life_seconds, "seconds of MVCC history kept (default 600)")
      ->check(CLI::PositiveNumber);
  int64_t tso_window_ms = options.tso_window.count();
  app.add_option("--tso-window-ms", tso_window_ms,
                 "how far ahead the persisted TSO high-water mark runs (default 3000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--test-keepalive-delay-file", options.test_keepalive_delay_file,
                 "tests only: while this file exists, hold each etcd keepalive reply back for "
                 "the milliseconds written in it");
  std::string credential_key_file;
  app.add_option("--credential-key-file", credential_key_file,
                 "the cluster credential key (32 random bytes, mode 0600), shared with every "
                 "kvnode: seals the storage credentials log tasks forward to the nodes");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off");
  std::string status_addr;
  app.add_option("--status-addr", status_addr,
                 "HOST:PORT of the status port: GET /metrics (Prometheus) and /healthz, plain "
                 "HTTP (port 0: any free port; default: none)");
  brix::net::AddTlsFlags(app, &options.tls);
  if (auto usage = brix::tools::ParseCommandLine(app, argc, argv)) return *usage;
  if (!credential_key_file.empty()) {
    auto key = brix::LoadCredentialKey(credential_key_file);
    if (!key.ok()) {
      return brix::tools::UsageError("--credential-key-file: " + key.status().message());
    }
    options.credential_key = *key;
  }
  options.gc_life_time = std::chrono::seconds(gc_life_seconds);
  options.tso_window = std::chrono::milliseconds(tso_window_ms);
  if (auto s = brix::InitLogging(log_level); !s.ok()) {
    return brix::tools::UsageError(s.message());
  }
  brix::net::SetClientTls(options.tls);  // as a client (of etcd, of kvpd): the same identity
  auto server = brix::cluster::PdServer::Start(options);
  if (!server.ok()) return brix::tools::FailureExit(server.status());
  std::unique_ptr<brix::net::StatusServer> status;
  if (!status_addr.empty()) {
    auto started = brix::net::StatusServer::Start(status_addr);
    if (!started.ok()) return brix::tools::FailureExit(started.status());
    status = std::move(started).value();
    spdlog::info("kvpd status server on http://{}", status->address());
  }
  spdlog::info("kvpd serving on {} (etcd {})", options.listen, options.etcd_endpoint);
  brix::WaitForTerminationSignal();
  (*server)->Shutdown();
  return 0;
}
