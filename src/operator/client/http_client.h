// HttpApiClient: ApiClient over the Kubernetes REST API (brixd's, or a real API server's), with a
// bearer token over HTTPS. `brix manager` uses it to read its CR and write the CR's status;
// `brix operator` runs the controllers over it (client configuration:
// operator/client/kubeconfig.h). Requests that fail to get an answer or get a 5xx are retried for
// up to `retry_for`, so a job survives a restart of brixd.
//
// The token is `token`, or read from `token_file` (a projected ServiceAccount token, which the
// kubelet rotates): re-read at most once a minute, as client-go does.
//
// Watch (http_watch.cc): lists once for a starting resourceVersion, then streams
// `GET <list path>?watch=1&resourceVersion=RV&allowWatchBookmarks=true` on a thread of its own,
// calling `on_event` for every ADDED/MODIFIED/DELETED line as it arrives. A dropped stream is
// reopened from the last resourceVersion seen (events or BOOKMARKs), with a backoff of 200 ms
// doubling to 5 s while the server does not answer. A 410 Gone (or an ERROR event) re-lists and
// reports the difference: every listed object as MODIFIED (ADDED when new to the watch), and a
// DELETED for each object seen before that the list no longer holds; then watches from the
// list's resourceVersion. Destroying the handle ends the stream at once (curl_multi_wakeup), not
// at a timeout.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "common/env.h"
#include "net/http_transport.h"
#include "operator/client/api_client.h"

namespace brix::client {

struct HttpClientOptions {
  std::string server;   // "https://127.0.0.1:8443"
  std::string token;    // bearer token (a credential: never logged)
  std::string ca_file;  // PEM of the server's CA; empty = system default
  std::string ca_pem;   // or the PEM itself (a kubeconfig's certificate-authority-data)
  // Instead of `token`: a file holding it (an in-cluster ServiceAccount token), re-read.
  std::string token_file;
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
  // See the header comment; the handle must not outlive the client.
  Result<std::unique_ptr<WatchHandle>> Watch(
      const api::ResourceInfo& info, std::function<void(const WatchEvent&)> on_event) override;

  // The list path of `info` in `ns` ("" = all namespaces) or of object `name` in it.
  std::string Path(const api::ResourceInfo& info, const std::string& ns,
                   const std::string& name) const;
  // GET/PUT/... of `path` (with its query) relative to the server, retried as above (for
  // `retry_for` instead when given; 0 = one attempt).
  [[nodiscard]] Result<Json> Send(const std::string& method, const std::string& path,
                                  const Json* body,
                                  std::optional<std::chrono::milliseconds> retry_for = {});
  // The bearer token now (token_file re-read at most once a minute). A credential.
  [[nodiscard]] Result<std::string> BearerToken();
  const HttpClientOptions& options() const { return options_; }

 private:
  HttpClientOptions options_;
  net::CurlTransport transport_;
  std::mutex token_mu_;
  std::string file_token_;
  std::chrono::steady_clock::time_point token_read_{};
};

}  // namespace brix::client
