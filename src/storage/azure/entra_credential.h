// Microsoft Entra ID bearer tokens for Azure Storage, in one of three flows (EntraFlow):
//
// - kClientSecret (service principal): POST {authority}/{tenant}/oauth2/v2.0/token with
//   grant_type=client_credentials, client_id, client_secret, scope
//   https://storage.azure.com/.default.
// - kWorkloadIdentity (AKS workload identity): the same request with the Kubernetes-issued
//   service-account token as client_assertion (client_assertion_type jwt-bearer) instead of a
//   secret. The token file is read anew for every token request: the kubelet rotates it.
// - kManagedIdentity (the instance metadata service, IMDS): GET
//   {imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/
//   with `Metadata: true` (and client_id= for a user-assigned identity). A first request that
//   fails (no IMDS here: not retried; or IMDS refuses) ends with a "no credentials" message.
//
// The token is cached and refreshed `refresh_margin` before it expires; one refresh runs at a
// time (callers that arrive meanwhile wait for it and share its result), so many parallel block
// uploads cause one token request, not many. Token requests are retried with backoff on
// throttling (429), 5xx and transport errors. Neither the secret nor a token ever appears in a
// Status message.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/backoff.h"
#include "common/result.h"
#include "net/http_transport.h"
#include "storage/azure/credential.h"

namespace brix::storage::azure {

enum class EntraFlow { kClientSecret, kWorkloadIdentity, kManagedIdentity };

// The IMDS address the SDKs use; AZURE_POD_IDENTITY_AUTHORITY_HOST overrides it (azure_config.h).
inline constexpr char kImdsAuthority[] = "http://169.254.169.254";

struct EntraOptions {
  EntraFlow flow = EntraFlow::kClientSecret;
  std::string authority_host = "https://login.microsoftonline.com";
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;
  std::string federated_token_file;             // kWorkloadIdentity
  std::string imds_authority = kImdsAuthority;  // kManagedIdentity
  std::string scope = "https://storage.azure.com/.default";
  std::chrono::seconds refresh_margin{300};
  BackoffOptions backoff{};
};

class EntraCredential final : public Credential {
 public:
  EntraCredential(EntraOptions options, std::shared_ptr<net::HttpTransport> transport);

  Status Authorize(BlobRequest& request) override;
  void Invalidate() override;
  // "Entra", "Entra workload identity" or "Entra managed identity".
  std::string_view Kind() const override;

  // The current token, fetching a new one if none is cached or it is within the refresh margin.
  [[nodiscard]] Result<std::string> Token();
  // How many token requests succeeded so far (lets tests see caching and refresh).
  int fetches() const;

 private:
  [[nodiscard]] Status Fetch();  // requires mu_ held
  // The flow's token request and the words naming it in messages (never a secret).
  [[nodiscard]] Result<net::HttpRequest> TokenRequest(std::string* body, std::string* where) const;

  const EntraOptions options_;
  std::shared_ptr<net::HttpTransport> transport_;
  Backoff backoff_;
  mutable std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point expires_at_{};
  int fetches_ = 0;
};

}  // namespace brix::storage::azure
