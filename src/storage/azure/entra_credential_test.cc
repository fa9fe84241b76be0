// Microsoft Entra end to end, in the three flows (client secret, workload identity, managed
// identity): Azurite with `--oauth basic` over HTTPS (a self-signed certificate made by the
// test), and playground::TokenEndpoint on loopback, which checks each flow's request and mints
// the JWTs Azurite's basic OAuth level accepts (it checks claims, not signatures).
#include "storage/azure/entra_credential.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/encoding.h"
#include "common/net_util.h"
#include "common/process.h"
#include "playground/token_endpoint.h"
#include "storage/open_storage.h"
#include "storage/storage_conformance.h"
#include "testing/azurite.h"
#include "testing/temp_dir.h"

namespace brix::storage {
namespace {

using brix::testing::AzuriteServer;

constexpr const char* kTenant = "72f988bf-0000-4000-8000-2d7cd011db47";
constexpr const char* kClientId = "brix-test-client";
constexpr const char* kSecret = "s3cr3t-value-that-must-never-be-printed";

// One HTTPS Azurite (and its certificate) for the whole suite: each test works under a prefix
// of its own and starts its own token endpoint (cheap), so its counts are its own.
class EntraTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_dir_ = new brix::testing::TempDir();
    cert_ = suite_dir_->path() + "/cert.pem";
    key_ = suite_dir_->path() + "/key.pem";
    auto made = brix::RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                  "-keyout", key_, "-out", cert_, "-days", "1", "-subj",
                                  "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
    ASSERT_TRUE(made.ok());
    ASSERT_EQ(made->exit_code, 0) << made->output;
    auto server = AzuriteServer::Start({.cert_file = cert_, .key_file = key_, .oauth = true});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    azurite_ = server->release();
  }
  static void TearDownTestSuite() {
    delete azurite_;
    azurite_ = nullptr;
    delete suite_dir_;
    suite_dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(azurite_, nullptr);
    federated_token_ = dir_.path() + "/azure-identity-token";
    std::ofstream(federated_token_) << "kubernetes-issued-service-account-token-1\n";
    playground::TokenEndpointOptions to;
    to.tenant_id = kTenant;
    to.client_id = kClientId;
    to.client_secret = kSecret;
    to.federated_token_file = federated_token_;
    to.managed_identity = true;
    auto tokens = playground::TokenEndpoint::Start(to);
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    tokens_ = std::move(*tokens);
  }

  std::map<std::string, std::string> EntraEnv() {
    return {{"AZURE_STORAGE_ACCOUNT", brix::testing::kAzuriteAccount},
            {"AZURE_CLIENT_ID", kClientId},
            {"AZURE_TENANT_ID", kTenant},
            {"AZURE_CLIENT_SECRET", kSecret},
            {"AZURE_AUTHORITY_HOST", tokens_->authority()},
            {"BRIX_CA_FILE", cert_}};
  }

  Result<std::unique_ptr<ExternalStorage>> Open(std::map<std::string, std::string> env) {
    std::string prefix = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    return OpenStorage(
        "azure://test/" + prefix + "?endpoint=" + PercentEncode(azurite_->endpoint()),
        MapEnv(std::move(env)));
  }

  static inline brix::testing::TempDir* suite_dir_ = nullptr;
  static inline std::string cert_, key_;
  static inline AzuriteServer* azurite_ = nullptr;
  brix::testing::TempDir dir_;
  std::string federated_token_;
  std::unique_ptr<playground::TokenEndpoint> tokens_;
};

TEST_F(EntraTest, EveryOperationWorksWithOneCachedToken) {
  auto s = Open(EntraEnv());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NE((*s)->Describe().find("Entra"), std::string::npos);
  testing::CheckBasicOperations(**s, 40 << 20);
  EXPECT_EQ(tokens_->issued(), 1);  // dozens of requests, parallel blocks, one token
}

TEST_F(EntraTest, ExpiredTokenIsReplacedAndThrottlingRetried) {
  tokens_->SetFaults({.throttle_next = 2, .expired_next = 1, .expires_in = 3600});
  auto s = Open(EntraEnv());
  ASSERT_TRUE(s.ok());
  // 429, 429, then a token Azurite refuses as expired, then a good one.
  Status put = (*s)->Put("obj", "data");
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(tokens_->issued(), 2);  // the expired one and the good one
  EXPECT_EQ(*(*s)->Get("obj"), "data");
}

TEST_F(EntraTest, TokenIsRefreshedBeforeItExpires) {
  // expires_in 302 s with the default 300 s margin: the token is due for refresh after ~2 s.
  tokens_->SetFaults({.throttle_next = 0, .expired_next = 0, .expires_in = 302});
  azure::EntraOptions o;
  o.authority_host = tokens_->authority();
  o.tenant_id = kTenant;
  o.client_id = kClientId;
  o.client_secret = kSecret;
  azure::EntraCredential cred(o, std::make_shared<net::CurlTransport>());
  auto first = cred.Token();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*cred.Token(), *first);  // cached
  EXPECT_EQ(cred.fetches(), 1);
  bool refreshed = brix::PollUntil([&] { return cred.Token().ok() && cred.fetches() == 2; },
                                   std::chrono::seconds(10), std::chrono::milliseconds(100));
  EXPECT_TRUE(refreshed);
}

TEST_F(EntraTest, WrongSecretFailsClearlyWithoutPrintingIt) {
  auto env = EntraEnv();
  env["AZURE_CLIENT_SECRET"] = "wrong-secret-also-private";
  auto s = Open(env);
  ASSERT_TRUE(s.ok());
  Status st = (*s)->Put("obj", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("invalid_client"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("wrong-secret-also-private"), std::string::npos);
}

TEST_F(EntraTest, UntrustedCertificateIsReportedNotRetriedForever) {
  auto env = EntraEnv();
  env.erase("BRIX_CA_FILE");
  auto s = Open(env);
  ASSERT_TRUE(s.ok());
  Status st = (*s)->Put("obj", "x");
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("BRIX_CA_FILE"), std::string::npos);
}

TEST_F(EntraTest,
       WorkloadIdentityExchangesTheFederatedTokenFileReadAnewEachTimeAndAForeignOneIsRefused) {
  auto env = EntraEnv();
  env.erase("AZURE_CLIENT_SECRET");
  env["AZURE_FEDERATED_TOKEN_FILE"] = federated_token_;
  auto s = Open(env);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NE((*s)->Describe().find("workload identity"), std::string::npos) << (*s)->Describe();
  ASSERT_TRUE((*s)->Put("obj", "wi").ok());
  EXPECT_EQ(*(*s)->Get("obj"), "wi");
  EXPECT_EQ(tokens_->issued(), 1);

  // The kubelet rotates the file: the next token request sends the new content. A stale or
  // unreadable file fails clearly, naming the variable and not the token.
  azure::EntraOptions o;
  o.flow = azure::EntraFlow::kWorkloadIdentity;
  o.authority_host = tokens_->authority();
  o.tenant_id = kTenant;
  o.client_id = kClientId;
  o.federated_token_file = federated_token_;
  azure::EntraCredential cred(o, std::make_shared<net::CurlTransport>());
  std::ofstream(federated_token_) << "kubernetes-issued-service-account-token-2";
  EXPECT_TRUE(cred.Token().ok());
  o.federated_token_file = dir_.path() + "/missing";
  azure::EntraCredential missing(o, std::make_shared<net::CurlTransport>());
  auto st = missing.Token();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("AZURE_FEDERATED_TOKEN_FILE"), std::string::npos);

  // A token the federated credential does not match (another cluster's) is refused.
  std::string other = dir_.path() + "/other-token";
  std::ofstream(other) << "a-token-of-another-cluster";
  env["AZURE_FEDERATED_TOKEN_FILE"] = other;
  auto foreign = Open(env);
  ASSERT_TRUE(foreign.ok());
  Status refused = (*foreign)->Put("obj", "x");
  EXPECT_EQ(refused.code(), Status::Code::kPermissionDenied) << refused.ToString();
  EXPECT_EQ(refused.message().find("a-token-of-another-cluster"), std::string::npos);
}

TEST_F(EntraTest,
       ManagedIdentityAsksTheMetadataEndpointWhenNothingElseIsSetAndFailsFastWithoutOne) {
  std::map<std::string, std::string> env = {
      {"AZURE_STORAGE_ACCOUNT", brix::testing::kAzuriteAccount},
      {"AZURE_POD_IDENTITY_AUTHORITY_HOST", tokens_->authority()},
      {"BRIX_CA_FILE", cert_}};
  auto s = Open(env);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NE((*s)->Describe().find("managed identity"), std::string::npos) << (*s)->Describe();
  testing::CheckBasicOperations(**s, 1 << 20);
  EXPECT_EQ(tokens_->issued(), 1);
  // A user-assigned identity is named by AZURE_CLIENT_ID; an unknown one is refused.
  env["AZURE_CLIENT_ID"] = "not-our-identity";
  auto wrong = Open(env);
  ASSERT_TRUE(wrong.ok());
  Status st = (*wrong)->Put("obj2", "x");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Identity not found"), std::string::npos) << st.ToString();
  // No IMDS answering (and nothing else set): fails at once, naming what to set.
  auto closed = FreeLoopbackPort();
  ASSERT_TRUE(closed.ok());
  auto none =
      Open({{"AZURE_STORAGE_ACCOUNT", brix::testing::kAzuriteAccount},
            {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:" + std::to_string(*closed)},
            {"BRIX_CA_FILE", cert_}});
  ASSERT_TRUE(none.ok());
  auto started = std::chrono::steady_clock::now();
  Status failed = (*none)->Put("obj", "x");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(failed.code(), Status::Code::kInvalidArgument) << failed.ToString();
  EXPECT_NE(failed.message().find("no credentials"), std::string::npos) << failed.ToString();
  EXPECT_NE(failed.message().find("AZURE_FEDERATED_TOKEN_FILE"), std::string::npos);
}

}  // namespace
}  // namespace brix::storage
