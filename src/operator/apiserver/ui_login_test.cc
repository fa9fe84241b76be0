#include "operator/apiserver/ui_login.h"

#include <gtest/gtest.h>

namespace brix::apiserver {
namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  UiLogins::Clock fn() {
    return [this] { return now; };
  }
};

const UserInfo kAdmin{"brix-admin", {"system:masters", "system:authenticated"}};

TEST(UiLogins, ACodeWorksOnceAndItsSessionIsTheMintersIdentity) {
  FakeClock clock;
  UiLogins logins(clock.fn());
  std::string code = logins.MintCode(kAdmin);
  EXPECT_EQ(code.size(), 64u);
  auto session = logins.Redeem(code);
  ASSERT_TRUE(session.has_value());
  EXPECT_NE(*session, code);
  EXPECT_FALSE(logins.Redeem(code).has_value()) << "a used code is refused";
  auto user = logins.Session(*session);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->name, "brix-admin");
  EXPECT_TRUE(user->InGroup("system:masters"));
  EXPECT_FALSE(logins.Session(code).has_value()) << "a code is no session";
  EXPECT_FALSE(logins.Session("").has_value());
  EXPECT_FALSE(logins.Redeem("").has_value());
  EXPECT_FALSE(logins.Redeem(std::string(64, 'a')).has_value());
}

TEST(UiLogins, AnExpiredCodeIsRefusedAndASessionEnds) {
  FakeClock clock;
  UiLogins logins(clock.fn());
  std::string late = logins.MintCode(kAdmin);
  std::string good = logins.MintCode(kAdmin);
  auto session = logins.Redeem(good);
  ASSERT_TRUE(session.has_value());
  clock.now += kLoginCodeTtl;
  EXPECT_FALSE(logins.Redeem(late).has_value());
  EXPECT_TRUE(logins.Session(*session).has_value());
  clock.now += kSessionTtl;
  EXPECT_FALSE(logins.Session(*session).has_value());
}

TEST(UiLogins, HoldsAtMostMaxLoginsCodesDroppingTheOldest) {
  FakeClock clock;
  UiLogins logins(clock.fn());
  std::string first = logins.MintCode(kAdmin);
  for (size_t i = 0; i < kMaxLogins; ++i) {
    clock.now += std::chrono::milliseconds(1);
    logins.MintCode(kAdmin);
  }
  EXPECT_FALSE(logins.Redeem(first).has_value());
}

TEST(UiLogins, TheCookieIsHttpOnlySecureStrictAndFoundAmongOthers) {
  std::string set = UiLogins::SetCookieValue("abc");
  EXPECT_EQ(set.rfind("brix_ui_session=abc; Path=/; HttpOnly; Secure; SameSite=Strict", 0), 0u)
      << set;
  EXPECT_EQ(UiLogins::SessionFromCookieHeader("a=1; brix_ui_session=xyz; b=2"), "xyz");
  EXPECT_EQ(UiLogins::SessionFromCookieHeader("brix_ui_session=xyz"), "xyz");
  EXPECT_EQ(UiLogins::SessionFromCookieHeader("brix_ui_sessionx=1; c=brix_ui_session"), "");
  EXPECT_EQ(UiLogins::SessionFromCookieHeader(""), "");
}

}  // namespace
}  // namespace brix::apiserver
