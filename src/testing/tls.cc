#include "testing/tls.h"

#include <cstdlib>
#include <memory>
#include <mutex>

#include "net/grpc_tls.h"
#include "testing/temp_dir.h"

namespace brix::testing {

Result<net::TlsFiles> TestTls() {
  static std::mutex mu;
  static std::unique_ptr<TempDir> dir;  // removed when the process exits
  static net::TlsFiles files;
  std::lock_guard<std::mutex> lock(mu);
  if (files.complete()) return files;
  if (!dir) dir = std::make_unique<TempDir>();
  BRIX_ASSIGN_OR_RETURN(files, net::WriteClusterTls(dir->path() + "/tls"));
  ::setenv(net::kTlsCaFileEnv, files.ca_file.c_str(), 1);
  ::setenv(net::kTlsCertFileEnv, files.cert_file.c_str(), 1);
  ::setenv(net::kTlsKeyFileEnv, files.key_file.c_str(), 1);
  return files;
}

}  // namespace brix::testing
