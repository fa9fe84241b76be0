// Mutual TLS for every gRPC server and channel of the cluster (kvpd, kvnode, etcd, and their
// clients: brix, kvctl, brixd and its jobs, kvnode and kvpd themselves). The one place that
// creates gRPC credentials: no other code calls grpc::Insecure*Credentials or grpc::Ssl*.
//
// Contract:
// - Servers get their TlsConfig from flags (--tls-ca-file, --tls-cert-file, --tls-key-file,
//   --insecure; see net/tls_flags.h). ServerCredentials requires and verifies a client
//   certificate signed by the CA (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
//   a plaintext or certificate-less or foreign-CA client fails its handshake.
// - Clients get theirs from the environment (BRIX_TLS_CA_FILE, BRIX_TLS_CERT_FILE,
//   BRIX_TLS_KEY_FILE, BRIX_INSECURE=1), overridden field by field by flags a main passes to
//   SetClientTls. Channels verify the server's certificate against the CA and the target host
//   (the certificate's subjectAltNames) and present the client certificate.
// - TLS is the default: no files and no `insecure` is an error naming the flags and variables;
//   `insecure` (plaintext) logs a loud warning, once per process for clients.
// - The PEM files are read each time credentials are made (cheap; a test may point the
//   variables at new files between clusters); an unreadable file is an error naming it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "net/tls_certs.h"

namespace brix::net {

inline constexpr char kTlsCaFileEnv[] = "BRIX_TLS_CA_FILE";
inline constexpr char kTlsCertFileEnv[] = "BRIX_TLS_CERT_FILE";
inline constexpr char kTlsKeyFileEnv[] = "BRIX_TLS_KEY_FILE";
inline constexpr char kInsecureEnv[] = "BRIX_INSECURE";

struct TlsConfig {
  TlsFiles files;
  bool insecure = false;  // plaintext, for debugging only
};

// `what` names the server in messages ("kvpd", "kvnode").
[[nodiscard]] Result<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const TlsConfig& config, const std::string& what);

// Channel credentials from an explicit configuration (a client's, not the process's).
[[nodiscard]] Result<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const TlsConfig& config);
// Channel credentials from the process's client configuration (ClientTls()).
[[nodiscard]] Result<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials();

// The process's client configuration: `flags` over the environment, set by a main after parsing.
void SetClientTls(const TlsConfig& flags);
// What SetClientTls set, or (never called) the environment as it is now.
TlsConfig ClientTls();
// The environment's configuration (BRIX_TLS_* and BRIX_INSECURE).
TlsConfig TlsConfigFromEnv();
// `over`'s non-empty fields over `base`'s; insecure if `over` is, or `base` is and `over` names
// no files.
TlsConfig MergeTlsConfig(const TlsConfig& over, const TlsConfig& base);

// The variables a child process needs to reach the cluster as `config` does (empty when
// `config` is empty and not insecure).
std::map<std::string, std::string> TlsEnv(const TlsConfig& config);

}  // namespace brix::net
