#include "br/storage_target.h"

#include <gtest/gtest.h>

#include "storage/encryption_keys.h"
#include "testing/temp_dir.h"

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

TEST(StorageTarget, EncryptionForwardsTheKekNeverTheMasterKeyAndIsRequiredOnTheNode) {
  testing::TempDir dir;
  const std::string url = "local://" + dir.path() + "/loc";
  const std::string master(64, '7');
  for (bool send : {true, false}) {
    auto t = MakeStorageTarget(url, send, MapEnv({{storage::kEncryptionKeyEnv, master}}));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_TRUE(t->encrypted());
    EXPECT_EQ(t->env().count(storage::kEncryptionKeyEnv), 0u);
    ASSERT_EQ(t->env().count(storage::kEncryptionKekEnv), 1u);
    EXPECT_EQ(t->env().at(storage::kEncryptionKekEnv).find(master), std::string::npos);
    auto opened = OpenStorageTarget(*t);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ASSERT_TRUE((*opened)->Put("x", "y").ok());
    StorageTarget keyless = *t;
    keyless.mutable_env()->erase(storage::kEncryptionKekEnv);
    auto refused = OpenStorageTarget(keyless);
    EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition)
        << refused.status().ToString();
  }
  auto plain = MakeStorageTarget(url, true, MapEnv({}));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->encrypted());
}

}  // namespace
}  // namespace brix::br
