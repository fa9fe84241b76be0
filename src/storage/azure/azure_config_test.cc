#include "storage/azure/azure_config.h"

#include <gtest/gtest.h>

namespace brix::storage {
namespace {

constexpr const char* kKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

Result<AzureConfig> Resolve(const std::string& url, std::map<std::string, std::string> env) {
  auto parsed = ParseStorageUrl(url);
  if (!parsed.ok()) return parsed.status();
  return ResolveAzureConfig(*parsed, MapEnv(std::move(env)));
}

TEST(AzureConfigTest, SharedKeyFromEnvWithDefaultEndpoint) {
  auto c = Resolve("azure://backups/cluster1",
                   {{"AZURE_STORAGE_ACCOUNT", "acct"}, {"AZURE_STORAGE_KEY", kKey}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->auth, AzureAuthKind::kSharedKey);
  EXPECT_EQ(c->endpoint, "https://acct.blob.core.windows.net");
  EXPECT_EQ(c->prefix, "cluster1");
}

TEST(AzureConfigTest, ConnectionStringGivesAccountKeyAndEndpoint) {
  auto c = Resolve("azure://backups",
                   {{"AZURE_STORAGE_CONNECTION_STRING",
                     std::string("DefaultEndpointsProtocol=http;AccountName="
                                 "devstoreaccount1;AccountKey=") +
                         kKey + ";BlobEndpoint=http://127.0.0.1:1234/devstoreaccount1;"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->account, "devstoreaccount1");
  EXPECT_EQ(c->account_key, kKey);  // split on the first '=' only: the key's '==' survives
  EXPECT_EQ(c->endpoint, "http://127.0.0.1:1234/devstoreaccount1");
}

TEST(AzureConfigTest, PrecedenceSasThenEntraThenSharedKey) {
  std::map<std::string, std::string> env = {
      {"AZURE_STORAGE_ACCOUNT", "acct"},  {"AZURE_STORAGE_KEY", kKey},
      {"AZURE_CLIENT_ID", "cid"},         {"AZURE_TENANT_ID", "tid"},
      {"AZURE_CLIENT_SECRET", "csecret"}, {"AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=abc"}};
  auto sas = Resolve("azure://backups", env);
  ASSERT_TRUE(sas.ok());
  EXPECT_EQ(sas->auth, AzureAuthKind::kSas);
  EXPECT_EQ(sas->sas_token, "sv=1&sig=abc");
  env.erase("AZURE_STORAGE_SAS_TOKEN");
  auto entra = Resolve("azure://backups", env);
  ASSERT_TRUE(entra.ok());
  EXPECT_EQ(entra->auth, AzureAuthKind::kEntra);
  EXPECT_EQ(entra->authority_host, "https://login.microsoftonline.com");
  env.erase("AZURE_CLIENT_SECRET");
  auto key = Resolve("azure://backups", env);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->auth, AzureAuthKind::kSharedKey);
}

TEST(AzureConfigTest, UrlParametersOverrideEnvironment) {
  auto c = Resolve(
      "azure://backups/p?account-name=other&endpoint=http://127.0.0.1:9/x/&"
      "access-tier=cool&block-size=4MiB&concurrency=3",
      {{"AZURE_STORAGE_ACCOUNT", "acct"}, {"AZURE_STORAGE_KEY", kKey}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->account, "other");
  EXPECT_EQ(c->endpoint, "http://127.0.0.1:9/x");
  EXPECT_EQ(c->access_tier, "Cool");
  EXPECT_EQ(c->transfer.block_size, 4u << 20);
  EXPECT_EQ(c->transfer.concurrency, 3);
}

TEST(AzureConfigTest, CredentialsAreChosenInTheDocumentedOrder) {
  std::map<std::string, std::string> env = {
      {"AZURE_STORAGE_ACCOUNT", "acct"}, {"AZURE_STORAGE_SAS_TOKEN", "sv=x&sig=y"},
      {"AZURE_CLIENT_ID", "app"},        {"AZURE_TENANT_ID", "tenant"},
      {"AZURE_CLIENT_SECRET", "secret"}, {"AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"},
      {"AZURE_STORAGE_KEY", kKey}};
  auto kind = [&]() { return Resolve("azure://backups", env)->auth; };
  EXPECT_EQ(kind(), AzureAuthKind::kSas);
  env.erase("AZURE_STORAGE_SAS_TOKEN");
  EXPECT_EQ(kind(), AzureAuthKind::kEntra);
  env.erase("AZURE_CLIENT_SECRET");
  EXPECT_EQ(kind(), AzureAuthKind::kWorkloadIdentity);
  EXPECT_EQ(Resolve("azure://backups", env)->federated_token_file, "/var/run/token");
  EXPECT_EQ(Resolve("azure://backups", env)->authority_host, "https://login.microsoftonline.com");
  env.erase("AZURE_FEDERATED_TOKEN_FILE");
  EXPECT_EQ(kind(), AzureAuthKind::kSharedKey);
  env.erase("AZURE_STORAGE_KEY");
  EXPECT_EQ(kind(), AzureAuthKind::kManagedIdentity);
  auto mi = Resolve("azure://backups", env);
  EXPECT_EQ(mi->client_id, "app");  // a user-assigned identity
  EXPECT_EQ(mi->imds_authority, "http://169.254.169.254");
  env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:8/";
  EXPECT_EQ(Resolve("azure://backups", env)->imds_authority, "http://127.0.0.1:8");
  env.erase("AZURE_CLIENT_ID");  // the system-assigned identity, at the endpoint named
  EXPECT_EQ(kind(), AzureAuthKind::kManagedIdentity);
  env.erase("AZURE_POD_IDENTITY_AUTHORITY_HOST");  // nothing: refused now, no request is sent
  auto none = Resolve("azure://backups", env);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no credentials"), std::string::npos);
}

TEST(AzureConfigTest, BadInputIsRefusedWithTheFieldNamed) {
  std::map<std::string, std::string> env = {{"AZURE_STORAGE_ACCOUNT", "acct"},
                                            {"AZURE_STORAGE_KEY", kKey}};
  auto tier = Resolve("azure://backups?access-tier=Frozen", env);
  ASSERT_FALSE(tier.ok());
  EXPECT_NE(tier.status().message().find("access-tier"), std::string::npos);
  EXPECT_NE(tier.status().message().find("Hot, Cool, Cold, Archive"), std::string::npos);
  auto unknown = Resolve("azure://backups?acount-name=x", env);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("acount-name"), std::string::npos);
  EXPECT_FALSE(Resolve("azure://backups?concurrency=0", env).ok());
  EXPECT_FALSE(Resolve("azure://backups?block-size=12parsecs", env).ok());
  auto noacct = Resolve("azure://backups", {{"AZURE_STORAGE_KEY", kKey}});
  ASSERT_FALSE(noacct.ok());
  EXPECT_NE(noacct.status().message().find("AZURE_STORAGE_ACCOUNT"), std::string::npos);
  auto badkey = Resolve("azure://backups",
                        {{"AZURE_STORAGE_ACCOUNT", "a"}, {"AZURE_STORAGE_KEY", "not base64!"}});
  ASSERT_FALSE(badkey.ok());
  EXPECT_EQ(badkey.status().message().find("not base64!"), std::string::npos);
}

}  // namespace
}  // namespace brix::storage
