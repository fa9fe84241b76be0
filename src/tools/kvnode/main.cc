// kvnode: a storage node daemon. See cluster/node/node_server.h.

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "br/log/node_log.h"
#include "br/snapshot/node_service.h"
#include "cluster/node/node_server.h"
#include "common/logging.h"
#include "common/sealed_box.h"
#include "common/signals.h"
#include "net/status_server.h"
#include "net/tls_flags.h"
#include "tools/cli_exit.h"

int main(int argc, char** argv) {
  // Large buffers (log backup buffers, staged batches, flushes) come and go; glibc's default
  // raises its mmap threshold to the largest freed block (up to 32 MiB) and then keeps such
  // blocks in its arenas after they are freed, so a node that ran a log backup held 100-170 MiB
  // it no longer used. A fixed threshold maps every block of 1 MiB or more on its own and
  // returns it when freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  brix::BlockTerminationSignals();
  CLI::App app{"kvnode: storage node of the brix key-value cluster"};
  brix::cluster::NodeOptions options;
  std::string log_level = "info";
  int64_t gc_interval_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               brix::cluster::NodeOptions{}.gc_interval)
                               .count();
  int64_t log_flush_interval_ms = 10'000;
  app.add_option("--pd", options.pd, "kvpd addresses, host:port[,host:port]")->required();
  app.add_option("--listen", options.listen, "host:port to serve on")->required();
  app.add_option("--data-dir", options.data_dir, "where RocksDB and the store id live")->required();
  app.add_option("--gc-interval-ms", gc_interval_ms,
                 "how often MVCC GC scans the store (default 600000, TiDB's 10 minutes)")
      ->check(CLI::PositiveNumber);
  app.add_option("--log-flush-interval-ms", log_flush_interval_ms,
                 "log backup: how often buffered writes are uploaded (default 10000)")
      ->check(CLI::PositiveNumber);
  int64_t log_buffer_memory_mb = 32;
  app.add_option("--log-buffer-memory-mb", log_buffer_memory_mb,
                 "log backup, per task: buffered writes spill to disk past this many MiB in "
                 "memory; writes wait for the spill past twice as many (default 32)")
      ->check(CLI::PositiveNumber);
  std::string buffer_fault_file;
  app.add_option("--test-log-buffer-fault-file", buffer_fault_file,
                 "tests only: while this file exists, log-backup buffer writes fail like a full "
                 "disk");
  std::string credential_key_file;
  app.add_option("--credential-key-file", credential_key_file,
                 "the cluster credential key kvpd has (32 random bytes, mode 0600): opens the "
                 "storage credentials log tasks forward to the nodes");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off");
  std::string status_addr;
  app.add_option("--status-addr", status_addr,
                 "HOST:PORT of the status port: GET /metrics (Prometheus) and /healthz, plain "
                 "HTTP (port 0: any free port; default: none)");
  brix::net::AddTlsFlags(app, &options.tls);
  if (auto usage = brix::tools::ParseCommandLine(app, argc, argv)) return *usage;
  options.gc_interval = std::chrono::milliseconds(gc_interval_ms);
  options.services.push_back(brix::br::NewNodeBackupService);
  brix::br::NodeLogOptions log_options;
  log_options.flush_interval = std::chrono::milliseconds(log_flush_interval_ms);
  log_options.buffer_memory_bytes = static_cast<size_t>(log_buffer_memory_mb) << 20;
  log_options.test_buffer_fault_file = buffer_fault_file;
  if (!credential_key_file.empty()) {
    auto key = brix::LoadCredentialKey(credential_key_file);
    if (!key.ok()) {
      return brix::tools::UsageError("--credential-key-file: " + key.status().message());
    }
    log_options.credential_key = *key;
  }
  options.services.push_back(brix::br::NodeLogServiceFactory(log_options));
  if (auto s = brix::InitLogging(log_level); !s.ok()) {
    return brix::tools::UsageError(s.message());
  }
  brix::net::SetClientTls(options.tls);  // as a client (of etcd, of kvpd): the same identity
  auto server = brix::cluster::NodeServer::Start(options);
  if (!server.ok()) return brix::tools::FailureExit(server.status());
  std::unique_ptr<brix::net::StatusServer> status;
  if (!status_addr.empty()) {
    auto started = brix::net::StatusServer::Start(status_addr);
    if (!started.ok()) return brix::tools::FailureExit(started.status());
    status = std::move(started).value();
    spdlog::info("kvnode status server on http://{}", status->address());
  }
  brix::WaitForTerminationSignal();
  (*server)->Shutdown();
  return 0;
}
