#include "common/redact.h"

#include <algorithm>
#include <cctype>

namespace brix {
namespace {

bool IsSecretName(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* marker : {"key", "secret", "token", "sig", "password", "credential"}) {
    if (name.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  std::string_view query = url.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    if (eq != std::string_view::npos && IsSecretName(std::string(name))) {
      out += name;
      out += "=REDACTED";
    } else {
      out += pair;
    }
  }
  return out;
}

}  // namespace brix
