// Microsoft Entra ID client-credentials flow (Microsoft identity platform, OAuth 2.0 client
// credentials): a service principal's client id and secret are exchanged at
// {authority}/{tenant}/oauth2/v2.0/token for a bearer token with scope
// https://storage.azure.com/.default.
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

struct EntraOptions {
  std::string authority_host = "https://login.microsoftonline.com";
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;
  std::string scope = "https://storage.azure.com/.default";
  std::chrono::seconds refresh_margin{300};
  BackoffOptions backoff{};
};

class EntraCredential final : public Credential {
 public:
  EntraCredential(EntraOptions options, std::shared_ptr<net::HttpTransport> transport);

  Status Authorize(BlobRequest& request) override;
  void Invalidate() override;
  std::string_view Kind() const override { return "Entra"; }

  // The current token, fetching a new one if none is cached or it is within the refresh margin.
  [[nodiscard]] Result<std::string> Token();
  // How many token requests succeeded so far (lets tests see caching and refresh).
  int fetches() const;

 private:
  [[nodiscard]] Status Fetch();  // requires mu_ held

  const EntraOptions options_;
  std::shared_ptr<net::HttpTransport> transport_;
  Backoff backoff_;
  mutable std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point expires_at_{};
  int fetches_ = 0;
};

}  // namespace brix::storage::azure
