// AzuriteServer: a real Azurite blob service (npm azurite, installed by scripts/setup into
// .tools/) on a free loopback port, in memory, in a temp folder; stopped by pid on destruction.
#pragma once

#include <memory>
#include <string>

#include "common/process.h"
#include "common/result.h"
#include "testing/temp_dir.h"

namespace brix::testing {

// The public, documented development account every Azurite has.
inline constexpr const char* kAzuriteAccount = "devstoreaccount1";
inline constexpr const char* kAzuriteKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct AzuriteOptions {
  // With both set, Azurite serves HTTPS with this certificate.
  std::string cert_file;
  std::string key_file;
  bool oauth = false;  // --oauth basic (needs HTTPS)
};

class AzuriteServer {
 public:
  // Starts Azurite and returns once it accepts connections (or an error with its log's path).
  [[nodiscard]] static Result<std::unique_ptr<AzuriteServer>> Start(AzuriteOptions options = {});
  ~AzuriteServer();

  int port() const { return port_; }
  // e.g. http://127.0.0.1:PORT/devstoreaccount1
  std::string endpoint() const;
  std::string connection_string() const;
  // Environment that makes OpenStorage use this Azurite with the shared key.
  std::map<std::string, std::string> SharedKeyEnv() const;
  // PID of the node process (tests assert it is gone after Stop).
  pid_t pid() const { return process_.pid(); }
  void Stop() { process_.Stop(); }

 private:
  AzuriteServer() = default;
  std::unique_ptr<TempDir> dir_;
  ChildProcess process_;
  int port_ = 0;
  bool https_ = false;
};

}  // namespace brix::testing
