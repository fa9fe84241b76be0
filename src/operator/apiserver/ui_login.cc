#include "operator/apiserver/ui_login.h"

#include <algorithm>

#include "operator/apiserver/authn.h"

namespace brix::apiserver {

UiLogins::UiLogins(Clock clock) : clock_(std::move(clock)) {}

void UiLogins::Prune(std::map<std::string, Entry>& entries,
                     std::chrono::steady_clock::time_point now) {
  std::erase_if(entries, [now](const auto& e) { return e.second.expires <= now; });
  while (entries.size() > kMaxLogins) {
    auto oldest = std::min_element(
        entries.begin(), entries.end(),
        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    entries.erase(oldest);
  }
}

std::string UiLogins::MintCode(const UserInfo& user) {
  std::string code = NewToken();
  auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  codes_[TokenHash(code)] = Entry{user, now + kLoginCodeTtl};
  Prune(codes_, now);
  return code;
}

std::optional<std::string> UiLogins::Redeem(std::string_view code) {
  if (code.empty()) return std::nullopt;
  auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = codes_.find(TokenHash(code));
  if (it == codes_.end()) return std::nullopt;
  Entry entry = it->second;
  codes_.erase(it);  // single use, whatever happens next
  if (entry.expires <= now) return std::nullopt;
  std::string session = NewToken();
  sessions_[TokenHash(session)] = Entry{entry.user, now + kSessionTtl};
  Prune(sessions_, now);
  return session;
}

std::optional<UserInfo> UiLogins::Session(std::string_view session_id) {
  if (session_id.empty()) return std::nullopt;
  auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(TokenHash(session_id));
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.user;
}

std::string UiLogins::SessionFromCookieHeader(std::string_view header) {
  const std::string_view name = kSessionCookie;
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view part = header.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return "";
}

std::string UiLogins::SetCookieValue(const std::string& session_id) {
  return std::string(kSessionCookie) + "=" + session_id +
         "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=" +
         std::to_string(kSessionTtl.count());
}

}  // namespace brix::apiserver
