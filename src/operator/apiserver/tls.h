// A self-signed serving certificate for brixd. kubectl sends its bearer token only over HTTPS
// (it silently drops it on plain http://), so brixd serves TLS and puts this certificate into
// the kubeconfig it writes as the cluster's certificate authority. The certificate is made by
// net/tls_certs.h, the one place brix generates certificates.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "net/tls_certs.h"

namespace brix::apiserver {

using CertificatePem = net::PemPair;  // PEM certificate and PKCS#8 key (EC P-256)

// Valid for ten years; subjectAltNames are `hosts` (IP addresses or DNS names; "127.0.0.1" and
// "localhost" are always included). Internal on an OpenSSL failure.
[[nodiscard]] Result<CertificatePem> MakeSelfSignedCertificate(
    const std::vector<std::string>& hosts);

}  // namespace brix::apiserver
