#include "playground/token_endpoint.h"

#include <httplib.h>

#include <ctime>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/net_util.h"

namespace brix::playground {
namespace {

using nlohmann::json;

constexpr char kStorageScope[] = "https://storage.azure.com/.default";
constexpr char kJwtBearer[] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

void Error(httplib::Response& res, int status, const std::string& error,
           const std::string& description) {
  res.status = status;
  res.set_content(json{{"error", error}, {"error_description", description}}.dump(),
                  "application/json");
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

std::string MintStorageToken(const std::string& tenant_id, std::chrono::seconds lifetime) {
  long now = static_cast<long>(std::time(nullptr));
  json claims = {{"aud", "https://storage.azure.com"},
                 {"iss", "https://sts.windows.net/" + tenant_id + "/"},
                 {"tid", tenant_id},
                 {"iat", now - 60},
                 {"nbf", now - 60},
                 {"exp", now + static_cast<long>(lifetime.count())}};
  return Base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})") + "." + Base64UrlEncode(claims.dump()) +
         "." + Base64UrlEncode("unsigned: Azurite checks claims only");
}

Result<std::unique_ptr<TokenEndpoint>> TokenEndpoint::Start(TokenEndpointOptions options) {
  std::unique_ptr<TokenEndpoint> t(new TokenEndpoint());
  t->options_ = std::move(options);
  if (!t->options_.cert_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(t->options_.cert_file.c_str(),
                                                    t->options_.key_file.c_str());
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("token endpoint: cannot load " + t->options_.cert_file +
                                     " / " + t->options_.key_file);
    }
    t->server_ = std::move(ssl);
  } else {
    t->server_ = std::make_unique<httplib::Server>();
  }
  t->Install();
  if (t->options_.port > 0) {
    if (!t->server_->bind_to_port("127.0.0.1", t->options_.port)) {
      return Status::Unavailable("token endpoint: cannot listen on 127.0.0.1:" +
                                 std::to_string(t->options_.port));
    }
    t->port_ = t->options_.port;
  } else {
    t->port_ = t->server_->bind_to_any_port("127.0.0.1");
    if (t->port_ <= 0) return Status::Unavailable("token endpoint: no free loopback port");
  }
  httplib::Server* server = t->server_.get();
  t->thread_ = std::thread([server] { server->listen_after_bind(); });
  if (!PollUntil([server] { return server->is_running(); }, std::chrono::seconds(10))) {
    return Status::Unavailable("token endpoint did not start");
  }
  return t;
}

TokenEndpoint::~TokenEndpoint() { Stop(); }

void TokenEndpoint::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string TokenEndpoint::authority() const {
  return std::string(options_.cert_file.empty() ? "http" : "https") +
         "://127.0.0.1:" + std::to_string(port_);
}

int TokenEndpoint::issued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return issued_;
}

void TokenEndpoint::SetFaults(TokenEndpointFaults faults) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_ = faults;
}

void TokenEndpoint::Install() {
  // Hands out one token (or the injected fault) in the v2 (expires_in a number) or the IMDS
  // (strings, resource) shape.
  auto issue = [this](httplib::Response& res, bool imds) {
    std::lock_guard<std::mutex> lock(mu_);
    if (faults_.throttle_next > 0) {
      --faults_.throttle_next;
      res.set_header("Retry-After", "0");
      Error(res, 429, "temporarily_unavailable", "throttled (injected)");
      return;
    }
    std::chrono::seconds lifetime = options_.token_lifetime;
    if (faults_.expired_next > 0) {
      --faults_.expired_next;
      lifetime = std::chrono::seconds(-120);
    }
    ++issued_;
    json body = {{"token_type", "Bearer"},
                 {"access_token", MintStorageToken(options_.tenant_id, lifetime)}};
    if (imds) {
      body["expires_in"] = std::to_string(faults_.expires_in);
      body["expires_on"] = std::to_string(std::time(nullptr) + faults_.expires_in);
      body["resource"] = "https://storage.azure.com/";
    } else {
      body["expires_in"] = faults_.expires_in;
    }
    res.set_content(body.dump(), "application/json");
  };

  server_->Post("/" + options_.tenant_id + "/oauth2/v2.0/token", [this, issue](
                                                                     const httplib::Request& req,
                                                                     httplib::Response& res) {
    if (req.get_param_value("grant_type") != "client_credentials" ||
        req.get_param_value("scope") != kStorageScope) {
      return Error(res, 400, "invalid_request",
                   "want grant_type=client_credentials and scope " + std::string(kStorageScope));
    }
    if (req.get_param_value("client_id") != options_.client_id) {
      return Error(res, 400, "unauthorized_client", "unknown client_id");
    }
    bool ok = false;
    if (req.has_param("client_assertion")) {
      ok = !options_.federated_token_file.empty() &&
           req.get_param_value("client_assertion_type") == kJwtBearer &&
           req.get_param_value("client_assertion") == ReadTrimmed(options_.federated_token_file);
    } else if (req.has_param("client_secret")) {
      ok = !options_.client_secret.empty() &&
           req.get_param_value("client_secret") == options_.client_secret;
    }
    if (!ok) {
      return Error(res, 401, "invalid_client", "the client secret or assertion is not valid");
    }
    issue(res, false);
  });
  if (options_.managed_identity) {
    server_->Get("/metadata/identity/oauth2/token", [this, issue](const httplib::Request& req,
                                                                  httplib::Response& res) {
      if (req.get_header_value("Metadata") != "true") {
        return Error(res, 400, "invalid_request",
                     "Required metadata header not "
                     "specified");
      }
      if (req.get_param_value("api-version").empty() ||
          req.get_param_value("resource") != "https://storage.azure.com/") {
        return Error(res, 400, "invalid_request",
                     "want api-version and resource=https://storage.azure.com/");
      }
      if (req.has_param("client_id") && req.get_param_value("client_id") != options_.client_id) {
        return Error(res, 400, "invalid_request", "Identity not found");
      }
      issue(res, true);
    });
  }
}

}  // namespace brix::playground
