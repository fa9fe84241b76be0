#include "operator/apiserver/tls.h"

namespace brix::apiserver {

Result<CertificatePem> MakeSelfSignedCertificate(const std::vector<std::string>& hosts) {
  return net::MakeSelfSignedServerCertificate("brixd", hosts);
}

}  // namespace brix::apiserver
