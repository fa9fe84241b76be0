#include "br/storage_target.h"

#include <gtest/gtest.h>

namespace brix::br {
namespace {

TEST(MoveUrlSecrets, SecretQueryParametersBecomeVariablesAndLeaveTheUrl) {
  std::map<std::string, std::string> vars;
  auto url = MoveUrlSecrets(
      "azure://cont/p?account-name=acct&sas-token=sv%3D2021%26sig%3Dabc&endpoint=http%3A%2F%2Fh&"
      "account-key=S2V5",
      &vars);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(*url, "azure://cont/p?account-name=acct&endpoint=http%3A%2F%2Fh");
  EXPECT_EQ(vars["AZURE_STORAGE_SAS_TOKEN"], "sv=2021&sig=abc");
  EXPECT_EQ(vars["AZURE_STORAGE_KEY"], "S2V5");
}

TEST(MoveUrlSecrets, UrlsWithoutSecretsAreKept) {
  std::map<std::string, std::string> vars;
  EXPECT_EQ(*MoveUrlSecrets("local:///tmp/x", &vars), "local:///tmp/x");
  EXPECT_EQ(*MoveUrlSecrets("azure://cont/p?account-name=a", &vars),
            "azure://cont/p?account-name=a");
  EXPECT_EQ(*MoveUrlSecrets("azure://cont/p?sas-token=x", &vars), "azure://cont/p");
  EXPECT_EQ(vars.size(), 1u);
}

}  // namespace
}  // namespace brix::br
