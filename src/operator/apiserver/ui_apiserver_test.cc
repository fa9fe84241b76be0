// The web page's login through the real brixd (ui_login.h, server_ui.cc): a single-use code
// minted with the admin token becomes a session cookie that authenticates API calls only with
// the page's header; files are served with a strict Content Security Policy.
#include <gtest/gtest.h>

#include "operator/apiserver/brixd_fixture.h"

namespace brix::apiserver {
namespace {

// The session id in a Set-Cookie header value ("brix_ui_session=<id>; Path=/; ...").
std::string SessionOf(const std::string& set_cookie) {
  size_t eq = set_cookie.find('=');
  return set_cookie.substr(eq + 1, set_cookie.find(';') - eq - 1);
}

TEST_F(BrixdTest, UiLoginCodeIsSingleUseAndItsCookieNeedsThePageHeader) {
  auto page = Http(/*with_token=*/false)->Get("/ui/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("recoverable window"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  auto script = Http(false)->Get("/ui/ui.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type").rfind("text/javascript", 0), 0u);
  EXPECT_EQ(Http(false)->Get("/ui/nothing.js")->status, 404);

  // Minting needs the admin's token.
  EXPECT_EQ(Http(false)->Post("/ui/codes", "", "application/json")->status, 401);
  Ok({"create", "serviceaccount", "viewer", "-n", "test1"});
  std::string sa_token = Kubectl({"create", "token", "viewer", "-n", "test1"}).output;
  sa_token.erase(sa_token.find_last_not_of("\n") + 1);
  EXPECT_EQ(HttpAs(sa_token)->Post("/ui/codes", "", "application/json")->status, 403);
  auto minted = Http()->Post("/ui/codes", "", "application/json");
  ASSERT_TRUE(minted);
  ASSERT_EQ(minted->status, 201) << minted->body;
  Json code = Json::parse(minted->body);
  EXPECT_EQ(code["expiresInSeconds"], 600);
  const std::string login = code["path"];
  EXPECT_EQ(login, "/ui/login?code=" + code["code"].get<std::string>());

  auto redeemed = Http(false)->Get(login.c_str());
  ASSERT_TRUE(redeemed);
  EXPECT_EQ(redeemed->status, 303);
  EXPECT_EQ(redeemed->get_header_value("Location"), "/ui/");
  const std::string set_cookie = redeemed->get_header_value("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly; Secure; SameSite=Strict"), std::string::npos) << set_cookie;
  auto again = Http(false)->Get(login.c_str());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 401) << "a used code is refused";
  EXPECT_EQ(again->get_header_value("Set-Cookie"), "");

  const std::string cookie = "brix_ui_session=" + SessionOf(set_cookie);
  const char* kList = "/apis/br.pingcap.com/v1alpha1/backups";
  auto with_header = Http(false)->Get(kList, {{"Cookie", cookie}, {"X-Brix-UI", "1"}});
  ASSERT_TRUE(with_header);
  EXPECT_EQ(with_header->status, 200) << with_header->body;
  auto without_header = Http(false)->Get(kList, {{"Cookie", cookie}});
  ASSERT_TRUE(without_header);
  EXPECT_EQ(without_header->status, 401) << "a cookie alone (a cross-site form) is not enough";
  auto forged = Http(false)->Get(
      kList, {{"Cookie", "brix_ui_session=" + std::string(64, '0')}, {"X-Brix-UI", "1"}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  // No credential appears in brixd's log.
  std::string log = testing::FileContents(dir_.path() + "/brixd.log");
  EXPECT_EQ(log.find(code["code"].get<std::string>()), std::string::npos);
  EXPECT_EQ(log.find(SessionOf(set_cookie)), std::string::npos);
}

}  // namespace
}  // namespace brix::apiserver
