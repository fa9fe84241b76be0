#include "storage/azure/entra_credential.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "common/encoding.h"

namespace brix::storage::azure {

EntraCredential::EntraCredential(EntraOptions options,
                                 std::shared_ptr<net::HttpTransport> transport)
    : options_(std::move(options)), transport_(std::move(transport)), backoff_(options_.backoff) {}

Status EntraCredential::Authorize(BlobRequest& request) {
  BRIX_ASSIGN_OR_RETURN(std::string token, Token());
  request.headers.emplace_back("Authorization", "Bearer " + token);
  return Status::OK();
}

void EntraCredential::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  token_.clear();
}

int EntraCredential::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

Result<std::string> EntraCredential::Token() {
  std::lock_guard<std::mutex> lock(mu_);  // single flight: one refresh at a time
  if (token_.empty() || std::chrono::steady_clock::now() + options_.refresh_margin >= expires_at_) {
    BRIX_RETURN_IF_ERROR(Fetch());
  }
  return token_;
}

Status EntraCredential::Fetch() {
  const std::string url =
      options_.authority_host + "/" + PercentEncode(options_.tenant_id) + "/oauth2/v2.0/token";
  const std::string body =
      "grant_type=client_credentials&client_id=" + PercentEncode(options_.client_id) +
      "&client_secret=" + PercentEncode(options_.client_secret) +
      "&scope=" + PercentEncode(options_.scope);
  const std::string where =
      "Entra token request to " + net::UrlOrigin(url) + " for client " + options_.client_id;
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = body;
  req.timeout = std::chrono::seconds(30);

  for (int attempt = 1;; ++attempt) {
    auto started = std::chrono::steady_clock::now();
    Result<net::HttpResponse> resp = transport_->Send(req);
    Status failure;
    std::optional<std::chrono::milliseconds> hint;
    if (!resp.ok()) {
      failure = resp.status().WithContext(where);
    } else if (resp->status == 200) {
      nlohmann::json j = nlohmann::json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
        return Status::Unavailable(where + ": the response has no access_token");
      }
      long expires_in = 3600;
      if (j.contains("expires_in")) {
        if (j["expires_in"].is_number()) expires_in = j["expires_in"].get<long>();
        if (j["expires_in"].is_string()) expires_in = std::stol(j["expires_in"].get<std::string>());
      }
      token_ = j["access_token"].get<std::string>();
      expires_at_ = started + std::chrono::seconds(expires_in);
      ++fetches_;
      return Status::OK();
    } else {
      // The error and its description are safe to show: they never echo the secret.
      nlohmann::json j = nlohmann::json::parse(resp->body, nullptr, false);
      std::string detail = "HTTP " + std::to_string(resp->status);
      if (j.is_object() && j.contains("error") && j["error"].is_string()) {
        detail += " " + j["error"].get<std::string>();
      }
      if (j.is_object() && j.contains("error_description") && j["error_description"].is_string()) {
        detail += ": " + j["error_description"].get<std::string>();
      }
      bool retryable = resp->status == 429 || resp->status == 408 || resp->status >= 500;
      failure = retryable ? Status::Unavailable(where + ": " + detail)
                          : Status::PermissionDenied(where + ": " + detail);
      if (std::string ra = resp->Header("retry-after"); !ra.empty()) {
        hint = std::chrono::seconds(std::atol(ra.c_str()));
      }
    }
    if (!failure.IsRetryable() || !backoff_.ShouldRetry(attempt)) return failure;
    std::this_thread::sleep_for(backoff_.DelayAfter(attempt, hint));
  }
}

}  // namespace brix::storage::azure
