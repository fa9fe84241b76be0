// UiLogins: how the web page (/ui/, docs/ui.md) authenticates without an API token in a URL or
// on a command line.
//
// - A login code is minted by an authenticated API caller (POST /ui/codes with its bearer
//   token; the playground does it with the admin token) and is bound to that caller's identity.
//   It is 256 random bits, valid once and for kLoginCodeTtl; only its SHA-256 is kept, in memory.
// - GET /ui/login?code=... redeems it: a used, expired or unknown code is refused (the same
//   answer for all three); a good one is forgotten at once and exchanged for a session (another
//   256-bit random value, also kept only as its hash) that the browser holds in a cookie
//   (HttpOnly, Secure, SameSite=Strict, Path=/) for kSessionTtl.
// - A session authenticates API requests as the identity that minted the code, so RBAC applies
//   as for that caller. Only with the header `X-Brix-UI: 1` (kUiHeader): a cross-site page cannot
//   set a custom header without a CORS preflight, which brixd never answers, so a forged request
//   carries the cookie but not the header (CSRF protection in depth, beside SameSite=Strict).
// - Everything lives in brixd's memory: a restart of brixd ends every code and session.
// - At most kMaxLogins codes and kMaxLogins sessions are held; minting more drops the oldest.
//
// Codes and session ids are credentials: never logged, never in an error message. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "operator/apiserver/rbac.h"

namespace brix::apiserver {

inline constexpr std::chrono::seconds kLoginCodeTtl{600};
inline constexpr std::chrono::seconds kSessionTtl{8 * 3600};
inline constexpr size_t kMaxLogins = 1024;
inline constexpr char kSessionCookie[] = "brix_ui_session";
inline constexpr char kUiHeader[] = "X-Brix-UI";

class UiLogins {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit UiLogins(Clock clock = [] { return std::chrono::steady_clock::now(); });

  // A fresh single-use login code for `user`.
  std::string MintCode(const UserInfo& user);
  // Redeems `code`: a new session id for its user, or nullopt when the code is unknown, used or
  // expired. The code is forgotten either way.
  std::optional<std::string> Redeem(std::string_view code);
  // The user of a live session, or nullopt.
  std::optional<UserInfo> Session(std::string_view session_id);

  // The session id in a `Cookie` header value, or "" when there is none.
  static std::string SessionFromCookieHeader(std::string_view cookie_header);
  // The `Set-Cookie` header value that stores `session_id`.
  static std::string SetCookieValue(const std::string& session_id);

 private:
  struct Entry {
    UserInfo user;
    std::chrono::steady_clock::time_point expires;
  };
  // Drops expired entries, and the oldest while over kMaxLogins. Caller holds mu_.
  void Prune(std::map<std::string, Entry>& entries, std::chrono::steady_clock::time_point now);

  Clock clock_;
  std::mutex mu_;
  std::map<std::string, Entry> codes_;     // by SHA-256 (hex) of the code
  std::map<std::string, Entry> sessions_;  // by SHA-256 (hex) of the session id
};

}  // namespace brix::apiserver
