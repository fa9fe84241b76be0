// HttpApiClient: ApiClient over the Kubernetes REST API (brixd's, or a real API server's), with a
// bearer token over HTTPS. `brix manager` uses it to read its CR and write the CR's status.
// Requests that fail to get an answer or get a 5xx are retried for up to `retry_for`, so a job
// survives a restart of brixd.
#pragma once

#include <chrono>
#include <memory>

#include "common/env.h"
#include "net/http_transport.h"
#include "operator/client/api_client.h"

namespace brix::client {

struct HttpClientOptions {
  std::string server;   // "https://127.0.0.1:8443"
  std::string token;    // bearer token (a credential: never logged)
  std::string ca_file;  // PEM of the server's CA; empty = system default
  std::chrono::milliseconds retry_for{60'000};
};

// The options from the environment the job runner gives every job: BRIX_API_SERVER,
// BRIX_API_TOKEN, BRIX_API_CA_FILE. InvalidArgument naming the missing variable.
[[nodiscard]] Result<HttpClientOptions> HttpClientOptionsFromEnv(const EnvLookup& env);

class HttpApiClient final : public ApiClient {
 public:
  explicit HttpApiClient(HttpClientOptions options);

  Result<Json> Get(const api::ResourceInfo& info, const std::string& ns,
                   const std::string& name) override;
  Result<std::vector<Json>> List(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string& label_selector) override;
  Result<Json> Create(const api::ResourceInfo& info, const std::string& ns,
                      const Json& object) override;
  Result<Json> Update(const api::ResourceInfo& info, const Json& object) override;
  Result<Json> UpdateStatus(const api::ResourceInfo& info, const Json& object) override;
  Status Delete(const api::ResourceInfo& info, const std::string& ns,
                const std::string& name) override;
  // POST <object path>/<subresource> (serviceaccounts/token).
  Result<Json> CreateSubresource(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string& name, const std::string& subresource,
                                 const Json& body) override;
  // NotSupported: the manager has no use for watches.
  Result<std::unique_ptr<WatchHandle>> Watch(
      const api::ResourceInfo& info, std::function<void(const WatchEvent&)> on_event) override;

 private:
  std::string Path(const api::ResourceInfo& info, const std::string& ns,
                   const std::string& name) const;
  Result<Json> Send(const std::string& method, const std::string& path, const Json* body);

  HttpClientOptions options_;
  net::CurlTransport transport_;
};

}  // namespace brix::client
