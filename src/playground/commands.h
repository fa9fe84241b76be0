// Command lines of the servers brix starts for tests and the playground: etcd, Azurite, kvpd and
// kvnode. One place, so tests and `brix playground` run them the same way.
#pragma once

#include <string>
#include <vector>

#include "common/process.h"
#include "net/tls_certs.h"

namespace brix::playground {

// The azurite-blob entry point: BRIX_AZURITE, else .tools/ of the source tree next to build/.
std::string AzuriteBlobScript();

// etcd serves its clients over mutual TLS with `tls` (https://127.0.0.1:CLIENT_PORT, client
// certificates required and verified against tls.ca_file); peers stay on plain loopback.
std::vector<std::string> EtcdCommand(const std::string& data_dir, int client_port, int peer_port,
                                     const net::TlsFiles& tls);
// etcd's client URL for EtcdCommand's `client_port`.
std::string EtcdEndpoint(int client_port);
std::vector<std::string> AzuriteCommand(int port, const std::string& cert_file = "",
                                        const std::string& key_file = "", bool oauth = false);
// The playground's Entra token endpoint (tools/token-endpoint, playground/token_endpoint.h),
// serving HTTPS with `tls`'s certificate; the client secret is read from `client_secret_file`.
std::vector<std::string> TokenEndpointCommand(int port, const std::string& tenant_id,
                                              const std::string& client_id,
                                              const std::string& client_secret_file,
                                              const net::TlsFiles& tls);
// kvpd and kvnode get `tls` as --tls-ca-file/--tls-cert-file/--tls-key-file: they serve with it
// and use it as clients (net/grpc_tls.h). `credential_key_file` (empty = none): the cluster
// credential key (common/sealed_box.h) that kvpd and every kvnode of a cluster share.
std::vector<std::string> KvpdCommand(const std::string& etcd, int port, const net::TlsFiles& tls,
                                     const std::string& credential_key_file = "");
// What else a kvnode may be started with.
struct KvnodeFlags {
  int log_flush_interval_ms = 0;       // > 0: how often it uploads log-backup data (default 10 s)
  std::string test_buffer_fault_file;  // its log-buffer fault hook (tests only; kvnode --help)
  std::string credential_key_file;     // the cluster credential key, as for KvpdCommand
};
std::vector<std::string> KvnodeCommand(const std::string& pd, int port, const std::string& data_dir,
                                       const net::TlsFiles& tls, const KvnodeFlags& flags = {});

// `clusters`: NAMESPACE/NAME=KVPD entries for brixd's --cluster.
std::vector<std::string> BrixdCommand(const std::string& etcd, int port,
                                      const std::string& state_dir, const std::string& kubeconfig,
                                      const std::vector<std::string>& clusters = {});

}  // namespace brix::playground
