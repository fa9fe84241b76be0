// A self-signed serving certificate for brixd. kubectl sends its bearer token only over HTTPS
// (it silently drops it on plain http://), so brixd serves TLS and puts this certificate into
// the kubeconfig it writes as the cluster's certificate authority.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace brix::apiserver {

struct CertificatePem {
  std::string cert;  // PEM X.509 certificate
  std::string key;   // PEM PKCS#8 private key (EC P-256)
};

// A certificate valid for ten years whose subjectAltNames are `hosts` (IP addresses or DNS
// names; "127.0.0.1" and "localhost" are always included). Internal on an OpenSSL failure.
[[nodiscard]] Result<CertificatePem> MakeSelfSignedCertificate(
    const std::vector<std::string>& hosts);

}  // namespace brix::apiserver
