#include "operator/client/http_client.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <thread>

#include "common/encoding.h"

namespace brix::client {
namespace {

// client-go's cachingTokenSource re-reads a token file once a minute.
constexpr std::chrono::minutes kTokenFileReread{1};

}  // namespace

Result<HttpClientOptions> HttpClientOptionsFromEnv(const EnvLookup& env) {
  HttpClientOptions o;
  auto server = env("BRIX_API_SERVER");
  auto token = env("BRIX_API_TOKEN");
  if (!server) return Status::InvalidArgument("BRIX_API_SERVER is not set (the API server's URL)");
  if (!token) return Status::InvalidArgument("BRIX_API_TOKEN is not set (the API bearer token)");
  o.server = *server;
  o.token = *token;
  o.ca_file = env("BRIX_API_CA_FILE").value_or("");
  return o;
}

HttpApiClient::HttpApiClient(HttpClientOptions options)
    : options_(std::move(options)), transport_([&] {
        net::CurlOptions c;
        c.ca_file = options_.ca_file;
        c.ca_pem = options_.ca_pem;
        c.default_timeout = std::chrono::seconds(30);
        return c;
      }()) {}

std::string HttpApiClient::Path(const api::ResourceInfo& info, const std::string& ns,
                                const std::string& name) const {
  std::string p =
      info.group.empty() ? "/api/" + info.version : "/apis/" + info.group + "/" + info.version;
  if (!ns.empty()) p += "/namespaces/" + ns;
  p += "/" + info.plural;
  if (!name.empty()) p += "/" + name;
  return p;
}

Result<Json> HttpApiClient::Send(const std::string& method, const std::string& path,
                                 const Json* body,
                                 std::optional<std::chrono::milliseconds> retry_for) {
  std::string payload = body ? body->dump() : "";
  auto deadline = std::chrono::steady_clock::now() + retry_for.value_or(options_.retry_for);
  std::chrono::milliseconds pause(200);
  for (;;) {
    BRIX_ASSIGN_OR_RETURN(std::string token, BearerToken());
    net::HttpRequest req;
    req.method = method;
    req.url = options_.server + path;
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    if (body) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = payload;
    }
    Result<net::HttpResponse> res = transport_.Send(req);
    Status failure;
    if (res.ok()) {
      Json doc = Json::parse(res->body, nullptr, false);
      if (res->status >= 200 && res->status < 300) {
        if (doc.is_discarded()) return Status::Corruption(method + " " + path + ": not JSON");
        return doc;
      }
      std::string reason = doc.is_object() ? doc.value("reason", "") : "";
      std::string message = doc.is_object() ? doc.value("message", res->body) : res->body;
      failure = StatusFromApiError(static_cast<int>(res->status), reason, message);
    } else {
      failure = res.status();
    }
    if (!failure.IsRetryable() || std::chrono::steady_clock::now() + pause > deadline) {
      return failure.WithContext(method + " " + path);
    }
    spdlog::debug("{} {}: {}; retrying", method, path, failure.ToString());
    std::this_thread::sleep_for(pause);  // backoff between attempts, not synchronisation
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
}

Result<Json> HttpApiClient::Get(const api::ResourceInfo& info, const std::string& ns,
                                const std::string& name) {
  return Send("GET", Path(info, ns, name), nullptr);
}

Result<std::vector<Json>> HttpApiClient::List(const api::ResourceInfo& info, const std::string& ns,
                                              const std::string& label_selector) {
  std::string path = Path(info, ns, "");
  if (!label_selector.empty()) path += "?labelSelector=" + PercentEncode(label_selector);
  BRIX_ASSIGN_OR_RETURN(Json list, Send("GET", path, nullptr));
  std::vector<Json> out;
  for (auto& item : list.value("items", Json::array())) out.push_back(item);
  return out;
}

Result<Json> HttpApiClient::Create(const api::ResourceInfo& info, const std::string& ns,
                                   const Json& object) {
  return Send("POST", Path(info, ns, ""), &object);
}

Result<Json> HttpApiClient::Update(const api::ResourceInfo& info, const Json& object) {
  return Send("PUT", Path(info, NamespaceOf(object), NameOf(object)), &object);
}

Result<Json> HttpApiClient::UpdateStatus(const api::ResourceInfo& info, const Json& object) {
  std::string path = Path(info, NamespaceOf(object), NameOf(object));
  if (info.has_status) path += "/status";
  return Send("PUT", path, &object);
}

Result<Json> HttpApiClient::CreateSubresource(const api::ResourceInfo& info, const std::string& ns,
                                              const std::string& name,
                                              const std::string& subresource, const Json& body) {
  return Send("POST", Path(info, ns, name) + "/" + subresource, &body);
}

Status HttpApiClient::Delete(const api::ResourceInfo& info, const std::string& ns,
                             const std::string& name) {
  auto r = Send("DELETE", Path(info, ns, name), nullptr);
  if (!r.ok() && !r.status().IsNotFound()) return r.status();
  return Status::OK();
}

Result<std::string> HttpApiClient::BearerToken() {
  if (options_.token_file.empty()) return options_.token;
  std::lock_guard<std::mutex> lock(token_mu_);
  auto now = std::chrono::steady_clock::now();
  if (file_token_.empty() || now - token_read_ >= kTokenFileReread) {
    std::ifstream in(options_.token_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (text.empty()) {
      if (!file_token_.empty()) return file_token_;  // keep the last one through a rewrite
      return Status::FailedPrecondition("no bearer token in " + options_.token_file);
    }
    file_token_ = std::move(text);
    token_read_ = now;
  }
  return file_token_;
}

}  // namespace brix::client
