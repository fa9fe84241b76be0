#include "playground/commands.h"

#include <cstdlib>

namespace brix::playground {

std::string AzuriteBlobScript() {
  if (const char* p = std::getenv("BRIX_AZURITE"); p && *p) return p;
#ifdef BRIX_SOURCE_DIR
  return std::string(BRIX_SOURCE_DIR) + "/.tools/node_modules/azurite/dist/src/blob/main.js";
#else
  return BinDir() + "/../../.tools/node_modules/azurite/dist/src/blob/main.js";
#endif
}

namespace {

void AddTlsFlags(std::vector<std::string>& argv, const net::TlsFiles& tls) {
  argv.insert(argv.end(), {"--tls-ca-file", tls.ca_file, "--tls-cert-file", tls.cert_file,
                           "--tls-key-file", tls.key_file});
}

}  // namespace

std::string EtcdEndpoint(int client_port) {
  return "https://127.0.0.1:" + std::to_string(client_port);
}

std::vector<std::string> EtcdCommand(const std::string& data_dir, int client_port, int peer_port,
                                     const net::TlsFiles& tls) {
  std::string client = EtcdEndpoint(client_port);
  std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  return {"etcd",
          "--name",
          "brix",
          "--data-dir",
          data_dir,
          "--listen-client-urls",
          client,
          "--advertise-client-urls",
          client,
          "--cert-file",
          tls.cert_file,
          "--key-file",
          tls.key_file,
          "--trusted-ca-file",
          tls.ca_file,
          "--client-cert-auth",
          "--listen-peer-urls",
          peer,
          "--initial-advertise-peer-urls",
          peer,
          "--initial-cluster",
          "brix=" + peer,
          "--log-level",
          "error"};
}

std::vector<std::string> AzuriteCommand(int port, const std::string& cert_file,
                                        const std::string& key_file, bool oauth) {
  std::vector<std::string> argv = {"node",
                                   AzuriteBlobScript(),
                                   "--blobHost",
                                   "127.0.0.1",
                                   "--blobPort",
                                   std::to_string(port),
                                   "--inMemoryPersistence",
                                   "--disableTelemetry",
                                   "--silent"};
  if (!cert_file.empty()) argv.insert(argv.end(), {"--cert", cert_file, "--key", key_file});
  if (oauth) argv.insert(argv.end(), {"--oauth", "basic"});
  return argv;
}

std::vector<std::string> TokenEndpointCommand(int port, const std::string& tenant_id,
                                              const std::string& client_id,
                                              const std::string& client_secret_file,
                                              const net::TlsFiles& tls) {
  return {BinDir() + "/token-endpoint",
          "--port",
          std::to_string(port),
          "--tenant-id",
          tenant_id,
          "--client-id",
          client_id,
          "--client-secret-file",
          client_secret_file,
          "--cert",
          tls.cert_file,
          "--key",
          tls.key_file};
}

std::vector<std::string> KvpdCommand(const std::string& etcd, int port, const net::TlsFiles& tls,
                                     const std::string& credential_key_file) {
  std::vector<std::string> argv = {BinDir() + "/kvpd", "--etcd", etcd, "--listen",
                                   "127.0.0.1:" + std::to_string(port)};
  AddTlsFlags(argv, tls);
  if (!credential_key_file.empty()) {
    argv.insert(argv.end(), {"--credential-key-file", credential_key_file});
  }
  return argv;
}

std::vector<std::string> KvnodeCommand(const std::string& pd, int port, const std::string& data_dir,
                                       const net::TlsFiles& tls, const KvnodeFlags& flags) {
  std::vector<std::string> argv = {
      BinDir() + "/kvnode", "--pd",  pd, "--listen", "127.0.0.1:" + std::to_string(port),
      "--data-dir",         data_dir};
  AddTlsFlags(argv, tls);
  if (flags.log_flush_interval_ms > 0) {
    argv.insert(argv.end(),
                {"--log-flush-interval-ms", std::to_string(flags.log_flush_interval_ms)});
  }
  if (!flags.test_buffer_fault_file.empty()) {
    argv.insert(argv.end(), {"--test-log-buffer-fault-file", flags.test_buffer_fault_file});
  }
  if (!flags.credential_key_file.empty()) {
    argv.insert(argv.end(), {"--credential-key-file", flags.credential_key_file});
  }
  return argv;
}

std::vector<std::string> BrixdCommand(const std::string& etcd, int port,
                                      const std::string& state_dir, const std::string& kubeconfig,
                                      const std::vector<std::string>& clusters) {
  std::vector<std::string> argv = {BinDir() + "/brixd",
                                   "--etcd",
                                   etcd,
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--state-dir",
                                   state_dir,
                                   "--kubeconfig-out",
                                   kubeconfig};
  for (const auto& c : clusters) argv.insert(argv.end(), {"--cluster", c});
  return argv;
}

}  // namespace brix::playground
