#include "storage/azure/shared_key.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/crypto.h"
#include "common/encoding.h"

namespace brix::storage::azure {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims and folds runs of whitespace to one space (outside quotes), per the canonical form.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool in_quotes = false;
  bool pending_space = false;
  for (char c : v) {
    if (c == '"') in_quotes = !in_quotes;
    if (!in_quotes && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string BlobRequest::Header(std::string_view name) const {
  std::string want = Lower(name);
  for (const auto& [n, v] : headers) {
    if (Lower(n) == want) return v;
  }
  return "";
}

std::string BlobRequest::BuildUrl(std::string_view origin) const {
  std::string url(origin);
  url += path;
  char sep = '?';
  for (const auto& [name, value] : query) {
    url += sep;
    url += PercentEncode(name);
    url += '=';
    url += PercentEncode(value);
    sep = '&';
  }
  if (!raw_query.empty()) {
    url += sep;
    url += raw_query;
  }
  return url;
}

std::string SharedKeyStringToSign(const BlobRequest& r, std::string_view account) {
  std::string s;
  s += r.method + "\n";
  s += r.Header("Content-Encoding") + "\n";
  s += r.Header("Content-Language") + "\n";
  s += (r.content_length == 0 ? std::string() : std::to_string(r.content_length)) + "\n";
  s += r.Header("Content-MD5") + "\n";
  s += r.Header("Content-Type") + "\n";
  s += "\n";  // Date: always empty, brix sends x-ms-date
  s += r.Header("If-Modified-Since") + "\n";
  s += r.Header("If-Match") + "\n";
  s += r.Header("If-None-Match") + "\n";
  s += r.Header("If-Unmodified-Since") + "\n";
  s += r.Header("Range") + "\n";

  std::map<std::string, std::string> ms;
  for (const auto& [name, value] : r.headers) {
    std::string n = Lower(name);
    if (n.rfind("x-ms-", 0) != 0) continue;
    std::string v = CanonicalHeaderValue(value);
    auto [it, inserted] = ms.emplace(n, v);
    if (!inserted) it->second += "," + v;
  }
  for (const auto& [n, v] : ms) s += n + ":" + v + "\n";

  s += "/";
  s += account;
  s += r.path;
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [name, value] : r.query) params[Lower(name)].push_back(value);
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    s += "\n" + name + ":";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + values[i];
  }
  return s;
}

std::string SharedKeySignature(std::string_view string_to_sign, std::string_view account_key_b64) {
  auto key = Base64Decode(account_key_b64);
  if (!key) return "";
  return Base64Encode(HmacSha256(*key, string_to_sign));
}

bool IsValidMetadataKey(std::string_view key) {
  if (key.empty() || !(key[0] >= 'a' && key[0] <= 'z')) return false;
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

}  // namespace brix::storage::azure
