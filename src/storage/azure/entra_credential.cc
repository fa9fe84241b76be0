#include "storage/azure/entra_credential.h"

#include <cctype>
#include <fstream>
#include <iterator>
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

std::string_view EntraCredential::Kind() const {
  switch (options_.flow) {
    case EntraFlow::kWorkloadIdentity:
      return "Entra workload identity";
    case EntraFlow::kManagedIdentity:
      return "Entra managed identity";
    case EntraFlow::kClientSecret:
      break;
  }
  return "Entra";
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

Result<net::HttpRequest> EntraCredential::TokenRequest(std::string* body,
                                                       std::string* where) const {
  net::HttpRequest req;
  req.timeout = std::chrono::seconds(30);
  if (options_.flow == EntraFlow::kManagedIdentity) {
    // The resource, not a scope: IMDS speaks the v1 protocol.
    std::string resource = options_.scope;
    if (size_t at = resource.rfind(".default"); at != std::string::npos) resource.erase(at);
    req.method = "GET";
    req.url = options_.imds_authority +
              "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
              PercentEncode(resource);
    if (!options_.client_id.empty()) req.url += "&client_id=" + PercentEncode(options_.client_id);
    req.headers = {{"Metadata", "true"}};
    req.timeout = std::chrono::seconds(10);
    *where = "managed identity token request to " + net::UrlOrigin(req.url);
    return req;
  }
  std::string credential;
  if (options_.flow == EntraFlow::kWorkloadIdentity) {
    std::ifstream in(options_.federated_token_file);
    std::string assertion((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!assertion.empty() && std::isspace(static_cast<unsigned char>(assertion.back()))) {
      assertion.pop_back();
    }
    if (!in || assertion.empty()) {
      return Status::FailedPrecondition(
          "workload identity: cannot read a token from "
          "AZURE_FEDERATED_TOKEN_FILE " +
          options_.federated_token_file);
    }
    credential = "&client_assertion_type=" +
                 PercentEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                 "&client_assertion=" + PercentEncode(assertion);
  } else {
    credential = "&client_secret=" + PercentEncode(options_.client_secret);
  }
  req.method = "POST";
  req.url =
      options_.authority_host + "/" + PercentEncode(options_.tenant_id) + "/oauth2/v2.0/token";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  *body = "grant_type=client_credentials&client_id=" + PercentEncode(options_.client_id) +
          credential + "&scope=" + PercentEncode(options_.scope);
  *where = std::string(options_.flow == EntraFlow::kWorkloadIdentity ? "workload identity " : "") +
           "Entra token request to " + net::UrlOrigin(req.url) + " for client " +
           options_.client_id;
  return req;
}

namespace {

Status NoCredentials(const Status& managed_identity_failure) {
  return Status::InvalidArgument(
      "azure storage: no credentials (set AZURE_STORAGE_SAS_TOKEN or ?sas-token=; or "
      "AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET; or AZURE_FEDERATED_TOKEN_FILE "
      "with AZURE_CLIENT_ID and AZURE_TENANT_ID; or AZURE_STORAGE_KEY), and no managed "
      "identity: " +
      managed_identity_failure.message());
}

}  // namespace

Status EntraCredential::Fetch() {
  std::string body, where;
  BRIX_ASSIGN_OR_RETURN(net::HttpRequest req, TokenRequest(&body, &where));
  req.body = body;

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
    // Managed identity is the last choice (azure_config.h): when no IMDS answers (or it has no
    // identity for us), the user most likely forgot to configure credentials. Say so, and do not
    // wait on an endpoint that is not there, as the SDKs' probe does.
    const bool probe = options_.flow == EntraFlow::kManagedIdentity && fetches_ == 0;
    if ((probe && !resp.ok()) || !failure.IsRetryable() || !backoff_.ShouldRetry(attempt)) {
      return probe ? NoCredentials(failure) : failure;
    }
    std::this_thread::sleep_for(backoff_.DelayAfter(attempt, hint));
  }
}

}  // namespace brix::storage::azure
