// Certificates for the cluster's mutual TLS (kvpd, kvnode, etcd and their clients): a private
// certificate authority and leaf certificates it signs, generated with the OpenSSL library.
//
// Contract:
// - keys are EC P-256, signatures ECDSA-SHA256, validity ten years (a local playground or a test
//   must never expire under a user);
// - a leaf carries extendedKeyUsage serverAuth AND clientAuth, so one certificate serves a
//   process both as a server and as a client (etcd and gRPC check the usage on each side);
// - subjectAltNames of a leaf are `hosts` plus 127.0.0.1 and localhost (IP or DNS by form).
// WriteClusterTls writes the files a cluster needs into a folder: ca.crt, tls.crt, tls.key, each
// mode 0600 (the folder 0700). The CA's key is never written: no one can mint more certificates
// for this CA afterwards; a new CA (and new certificates) is the way to rotate.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace brix::net {

struct PemPair {
  std::string cert;  // PEM X.509 certificate
  std::string key;   // PEM PKCS#8 private key
};

// The three files of a TLS identity: whom to trust, who I am, my key.
struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool empty() const { return ca_file.empty() && cert_file.empty() && key_file.empty(); }
  bool complete() const { return !ca_file.empty() && !cert_file.empty() && !key_file.empty(); }
};

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign) named `common_name`.
[[nodiscard]] Result<PemPair> MakeCertificateAuthority(const std::string& common_name);

// A leaf certificate for `common_name` signed by `ca` (serverAuth + clientAuth).
[[nodiscard]] Result<PemPair> MakeLeafCertificate(const PemPair& ca, const std::string& common_name,
                                                  const std::vector<std::string>& hosts = {});

// A self-signed serving certificate (CA:TRUE, serverAuth) for `hosts` plus 127.0.0.1 and
// localhost: a client trusts it by naming the certificate itself as its CA (brixd's kubeconfig).
[[nodiscard]] Result<PemPair> MakeSelfSignedServerCertificate(
    const std::string& common_name, const std::vector<std::string>& hosts = {});

// Makes a CA and one leaf into `dir` (created if missing): dir/ca.crt, dir/tls.crt, dir/tls.key.
// If all three files already exist they are kept (a restarted playground keeps its identity).
[[nodiscard]] Result<TlsFiles> WriteClusterTls(const std::string& dir);

}  // namespace brix::net
