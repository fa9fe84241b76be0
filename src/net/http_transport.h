// HttpTransport: sends one HTTP request and returns the response, nothing more. Retries,
// signing and error classification belong to the caller (for example the Azure driver), which
// must know exactly which headers go on the wire in order to sign them.
//
// CurlTransport is the libcurl implementation: it keeps a pool of easy handles (so connections
// are reused across requests and threads), sets connect and stall timeouts, never decodes
// Content-Encoding, and never adds headers of its own beyond Host, Content-Length and
// User-Agent (it removes curl's default Content-Type, Accept and Expect).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace brix::net {

struct HttpRequest {
  std::string method;  // GET, PUT, POST, HEAD, DELETE
  std::string url;     // complete, already percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // sent with PUT and POST; must outlive the call
  // Instead of `body`: a body of exactly `body_size` bytes pulled from `body_reader` while it is
  // sent (streamed from a file, never held whole in memory). The reader fills up to n bytes and
  // returns how many; ending early or failing aborts the request with the reader's status.
  std::function<Result<size_t>(char* buf, size_t n)> body_reader;
  uint64_t body_size = 0;
  // Whole-request deadline; 0 = transport default; kNoTotalDeadline = none, only the transport's
  // stall limit (low_speed_*) ends a transfer (reads whose size is not known in advance).
  std::chrono::milliseconds timeout{0};
};

inline constexpr std::chrono::milliseconds kNoTotalDeadline{-1};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  // Header value by lowercase name, or "" if absent.
  std::string Header(const std::string& lowercase_name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Returns the response for any HTTP status. A failure to get a complete response (connection
  // refused or reset, timeout, truncated body, TLS error) is Unavailable or Timeout; the message
  // names the host but never the query string (which may hold a SAS).
  [[nodiscard]] virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than low_speed_bytes per second for low_speed_time is abandoned (stall).
  long low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  std::chrono::milliseconds default_timeout{300'000};
  std::chrono::seconds max_connection_age{30};
  std::string ca_file;  // extra CA bundle; empty = system default
  std::string ca_pem;   // or the bundle itself (PEM text), e.g. a kubeconfig's CA data
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlOptions options = {});
  ~CurlTransport() override;
  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  void* Acquire();
  void Release(void* handle);

  const CurlOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;
};

// The host part of a URL ("scheme://host:port"), for error messages that must not leak queries.
std::string UrlOrigin(std::string_view url);

}  // namespace brix::net
