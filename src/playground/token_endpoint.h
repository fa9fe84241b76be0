// TokenEndpoint: a local stand-in for Microsoft Entra ID and the Azure instance metadata service
// (IMDS), on a loopback port, so brix authenticates to Azurite (`--oauth basic`) with bearer
// tokens exactly as it does on Azure. `brix playground` runs it as its own process
// (tools/token-endpoint) behind the seed's azblob-secret-ad; the storage tests run it in process.
//
// It answers
// - POST /{tenant}/oauth2/v2.0/token, grant_type=client_credentials, scope
//   https://storage.azure.com/.default, with either client_secret (must equal the configured
//   secret) or client_assertion_type jwt-bearer + client_assertion (workload identity: must equal
//   the content of `federated_token_file` at the time of the request, as a stand-in for Entra's
//   check of the Kubernetes-issued token against the federated credential);
// - GET /metadata/identity/oauth2/token?api-version=...&resource=https://storage.azure.com/ with
//   header `Metadata: true` (managed identity; client_id, when sent, must be the configured one).
// Anything else gets Entra's error shape ({"error","error_description"}) with 400 or 401.
//
// Tokens are JWTs with the claims Azurite's basic OAuth checks (aud https://storage.azure.com,
// iss https://sts.windows.net/{tenant}/, nbf, exp) and an unchecked placeholder signature:
// Azurite does not verify signatures. Nothing it logs or answers contains the secret.
//
// Hand-written on cpp-httplib (as brixd's API server): no Entra emulator is packaged for us.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"

namespace httplib {
class Server;
}

namespace brix::playground {

struct TokenEndpointOptions {
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;         // "" = the client-secret flow is refused
  std::string federated_token_file;  // "" = workload identity is refused
  bool managed_identity = false;     // serve the IMDS path
  std::string cert_file, key_file;   // both set: HTTPS
  int port = 0;                      // 0: a free loopback port
  std::chrono::seconds token_lifetime{3600};
};

// What a test can make the next token requests do (throttling, expired tokens).
struct TokenEndpointFaults {
  int throttle_next = 0;   // answer 429 with Retry-After: 0
  int expired_next = 0;    // hand out a token that expired two minutes ago
  long expires_in = 3600;  // what the answers claim
};

// The claims Azurite checks, for a token of `tenant_id` valid for `lifetime` from now.
std::string MintStorageToken(const std::string& tenant_id, std::chrono::seconds lifetime);

class TokenEndpoint {
 public:
  [[nodiscard]] static Result<std::unique_ptr<TokenEndpoint>> Start(TokenEndpointOptions options);
  ~TokenEndpoint();

  int port() const { return port_; }
  // "http(s)://127.0.0.1:PORT": AZURE_AUTHORITY_HOST or AZURE_POD_IDENTITY_AUTHORITY_HOST.
  std::string authority() const;
  // Tokens handed out so far.
  int issued() const;
  void SetFaults(TokenEndpointFaults faults);
  void Stop();

 private:
  TokenEndpoint() = default;
  void Install();

  TokenEndpointOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  int issued_ = 0;
  TokenEndpointFaults faults_;
};

}  // namespace brix::playground
