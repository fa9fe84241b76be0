// ApiServer's web page (docs/ui.md): the static files under /ui/, the login-code exchange and
// the authentication of the page's API calls by its session cookie (ui_login.h says the rules).
//
//   GET  /ui, /ui/            index.html (no credentials needed: the files hold no data)
//   GET  /ui/<file>           an embedded file (ui_assets.h), 404 otherwise
//   GET  /ui/login?code=C     a good code: 303 to /ui/ with the session cookie; else 401
//   POST /ui/codes            (bearer token of a system:masters member) 201
//                             {"code", "path": "/ui/login?code=...", "expiresInSeconds"}
//
// Every /ui response forbids framing, sniffing and referrers, and the page's Content Security
// Policy allows only brixd's own scripts, styles and API.
#include <spdlog/spdlog.h>

#include "operator/apiserver/server_impl.h"
#include "operator/apiserver/ui_assets.h"

namespace brix::apiserver {

namespace {

constexpr char kCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void UiHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kCsp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
}

void HtmlMessage(httplib::Response& res, int code, const std::string& text) {
  res.status = code;
  res.set_header("Cache-Control", "no-store");
  res.set_content("<!doctype html><meta charset=utf-8><title>brix</title><p>" + text + "</p>",
                  "text/html; charset=utf-8");
}

}  // namespace

ApiResult<UserInfo> ApiServer::Impl::AuthenticateRequest(const httplib::Request& req) {
  std::string authorization = req.get_header_value("Authorization");
  if (authorization.empty() && req.get_header_value(kUiHeader) == "1") {
    std::string session = UiLogins::SessionFromCookieHeader(req.get_header_value("Cookie"));
    if (auto user = ui_logins.Session(session)) return *user;
  }
  return access->Authenticate(authorization);
}

void ApiServer::Impl::ServeUi(const httplib::Request& req, httplib::Response& res) {
  UiHeaders(res);
  const std::string& path = req.path;
  if (path == "/ui/codes" && req.method == "POST") {
    auto user = access->Authenticate(req.get_header_value("Authorization"));
    if (!user.ok()) return Fail(res, user.error());
    // The page acts with the minter's rights; a ServiceAccount's session would outlive the
    // deletion of its account, so only system:masters (the admin) may mint.
    if (!user.value().InGroup(kSystemMasters)) {
      return Fail(res, ApiError{403, "Forbidden",
                                "only members of system:masters may mint login codes for /ui/",
                                Json::object()});
    }
    std::string code = ui_logins.MintCode(user.value());
    return Reply(res, 201,
                 Json{{"code", code},
                      {"path", "/ui/login?code=" + code},
                      {"expiresInSeconds", kLoginCodeTtl.count()}});
  }
  if (req.method != "GET") {
    return Fail(res, ApiError::MethodNotAllowed(req.method + " is not supported on " + path));
  }
  if (path == "/ui/login") {
    auto session = ui_logins.Redeem(req.get_param_value("code"));
    if (!session.has_value()) {
      spdlog::info("ui: a login with an unknown, used or expired code was refused");
      return HtmlMessage(res, 401,
                         "This login link is used, expired or unknown: each link works once, for "
                         "10 minutes. Get a fresh one with <code>brix playground ui --dir "
                         "DIR</code> (or POST /ui/codes with the admin token).");
    }
    spdlog::info("ui: a login code was exchanged for a session");
    res.status = 303;
    res.set_header("Set-Cookie", UiLogins::SetCookieValue(*session));
    res.set_header("Location", "/ui/");
    res.set_header("Cache-Control", "no-store");
    return;
  }
  if (path == "/ui") {
    res.status = 301;
    res.set_header("Location", "/ui/");
    return;
  }
  std::string name = path == "/ui/" ? "index.html" : path.substr(4);
  for (const UiAsset& asset : UiAssets()) {
    if (asset.name != name) continue;
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(asset.body), std::string(asset.content_type));
    return;
  }
  HtmlMessage(res, 404, "not found");
}

}  // namespace brix::apiserver
