#include "net/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace brix::net {
namespace {

// curl_global_init is not thread-safe; run it once before any handle exists.
struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * nmemb);
  return size * nmemb;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * nmemb);
  if (line.rfind("HTTP/", 0) == 0) {
    resp->headers.clear();  // a new status line (after 100 Continue or a redirect)
    return size * nmemb;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * nmemb;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  // Size the body once instead of growing it chunk by chunk (8 MiB range reads).
  if (name == "content-length") {
    resp->body.reserve(std::strtoull(std::string(value).c_str(), nullptr, 10));
  }
  resp->headers[name] = std::string(value);
  return size * nmemb;
}

// A streamed request body (HttpRequest::body_reader): hands curl the reader's bytes and
// remembers why it stopped early, so the caller sees the reader's status, not curl's.
struct StreamedBody {
  const HttpRequest* request;
  uint64_t sent = 0;
  Status failure;
};

size_t OnRead(char* buf, size_t size, size_t nitems, void* user) {
  auto* body = static_cast<StreamedBody*>(user);
  const uint64_t left = body->request->body_size - body->sent;
  if (left == 0) return 0;
  Result<size_t> n = body->request->body_reader(buf, std::min<uint64_t>(left, size * nitems));
  if (!n.ok() || *n == 0) {
    body->failure = n.ok() ? Status::FailedPrecondition(
                                 "the request body ended after " + std::to_string(body->sent) +
                                 " of " + std::to_string(body->request->body_size) + " bytes")
                           : n.status();
    return CURL_READFUNC_ABORT;
  }
  body->sent += *n;
  return *n;
}

// curl's upload buffer (default 64 KiB): larger buffers mean fewer send() calls and wakeups per
// uploaded byte; 1 MiB is half curl's maximum.
constexpr long kUploadBufferBytes = 1 << 20;

}  // namespace

std::string HttpResponse::Header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string UrlOrigin(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?", start);
  return std::string(url.substr(0, end));
}

CurlTransport::CurlTransport(CurlOptions options) : options_(std::move(options)) {
  static CurlGlobal global;
}

CurlTransport::~CurlTransport() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* CurlTransport::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlTransport::Release(void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(handle);
}

Result<HttpResponse> CurlTransport::Send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return Status::Internal("curl_easy_init failed");
  curl_easy_reset(curl);

  HttpResponse response;
  StreamedBody streamed{.request = &request, .sent = 0, .failure = Status::OK()};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  // Remove headers curl would add on its own: they would not be covered by a signature.
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept:");
  bool has_content_type = std::any_of(request.headers.begin(), request.headers.end(), [](auto& h) {
    std::string n = h.first;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    return n == "content-type";
  });
  if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "brix/0.1");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(options_.low_speed_time.count()));
  auto timeout = request.timeout == kNoTotalDeadline ? std::chrono::milliseconds(0)  // none
                 : request.timeout.count() > 0       ? request.timeout
                                                     : options_.default_timeout;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN,
                   static_cast<long>(options_.max_connection_age.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.ca_pem.empty()) {
    curl_blob ca{const_cast<char*>(options_.ca_pem.data()), options_.ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  }

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if ((request.method == "PUT" || request.method == "POST") && request.body_reader) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &streamed);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body_size));
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
    if (request.method == "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
    // A null POSTFIELDS would make curl read the body from stdin; point at "" instead.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    if (request.method == "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    // A failed handle may hold a broken connection; do not return it to the pool.
    curl_easy_cleanup(curl);
    if (rc == CURLE_ABORTED_BY_CALLBACK && !streamed.failure.ok()) {
      return streamed.failure.WithContext(request.method + " " + UrlOrigin(request.url));
    }
    std::string msg = request.method + " " + UrlOrigin(request.url) + ": " + curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) return Status::Timeout(msg);
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
      return Status::InvalidArgument(msg);
    }
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
        rc == CURLE_SSL_CERTPROBLEM) {
      return Status::FailedPrecondition(msg + " (for a private CA, set BRIX_CA_FILE)");
    }
    return Status::Unavailable(msg);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  Release(curl);
  return response;
}

}  // namespace brix::net
