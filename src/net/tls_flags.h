// The command-line side of net/grpc_tls.h: the same flags on every binary that serves or calls
// the cluster (kvpd, kvnode, brix, kvctl). Header-only so that net/ itself does not need CLI11.
#pragma once

#include <CLI/CLI.hpp>

#include "net/grpc_tls.h"

namespace brix::net {

// --tls-ca-file, --tls-cert-file, --tls-key-file, --insecure into `config`.
inline void AddTlsFlags(CLI::App& app, TlsConfig* config) {
  app.add_option("--tls-ca-file", config->files.ca_file,
                 "cluster TLS: the CA certificate (PEM) peers must be signed by (env "
                 "BRIX_TLS_CA_FILE for clients)");
  app.add_option("--tls-cert-file", config->files.cert_file,
                 "cluster TLS: this process's certificate (PEM), used as server and client "
                 "certificate (env BRIX_TLS_CERT_FILE for clients)");
  app.add_option("--tls-key-file", config->files.key_file,
                 "cluster TLS: the key of --tls-cert-file (PEM) (env BRIX_TLS_KEY_FILE for "
                 "clients)");
  app.add_flag("--insecure", config->insecure,
               "plaintext gRPC without TLS, for debugging only (env BRIX_INSECURE=1 for clients)");
}

}  // namespace brix::net
