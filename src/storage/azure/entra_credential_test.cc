// Microsoft Entra client credentials end to end: Azurite with `--oauth basic` over HTTPS (a
// self-signed certificate made by the test), and a token endpoint the test serves on loopback
// that checks the client-credentials form and mints unsigned v1-style JWTs (Azurite's basic
// OAuth level checks claims, not signatures).
#include "storage/azure/entra_credential.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/net_util.h"
#include "common/process.h"
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

std::string MintJwt(long lifetime_seconds) {
  long now = static_cast<long>(std::time(nullptr));
  nlohmann::json claims = {{"aud", "https://storage.azure.com"},
                           {"iss", std::string("https://sts.windows.net/") + kTenant + "/"},
                           {"iat", now - 60},
                           {"nbf", now - 60},
                           {"exp", now + lifetime_seconds}};
  return Base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})") + "." + Base64UrlEncode(claims.dump()) +
         "." + Base64UrlEncode("not-a-signature");
}

// The token endpoint: POST /<tenant>/oauth2/v2.0/token.
class TokenServer {
 public:
  TokenServer() {
    server_.Post(std::string("/") + kTenant + "/oauth2/v2.0/token",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard<std::mutex> lock(mu_);
                   bool ok = req.get_param_value("grant_type") == "client_credentials" &&
                             req.get_param_value("client_id") == kClientId &&
                             req.get_param_value("client_secret") == kSecret &&
                             req.get_param_value("scope") == "https://storage.azure.com/.default";
                   if (!ok) {
                     res.status = 401;
                     res.set_content(
                         R"({"error":"invalid_client","error_description":"bad client"})",
                         "application/json");
                     return;
                   }
                   ++requests_;
                   if (throttle_next_ > 0) {
                     --throttle_next_;
                     res.status = 429;
                     res.set_header("Retry-After", "0");
                     return;
                   }
                   long lifetime = token_lifetime_;
                   if (expired_next_ > 0) {
                     --expired_next_;
                     lifetime = -120;  // already expired, though expires_in says otherwise
                   }
                   nlohmann::json body = {{"token_type", "Bearer"},
                                          {"expires_in", expires_in_},
                                          {"access_token", MintJwt(lifetime)}};
                   res.set_content(body.dump(), "application/json");
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    brix::PollUntil([this] { return server_.is_running(); }, std::chrono::seconds(10));
  }
  ~TokenServer() {
    server_.stop();
    thread_.join();
  }
  std::string authority() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void Configure(long expires_in, int expired_next, int throttle_next) {
    std::lock_guard<std::mutex> lock(mu_);
    expires_in_ = expires_in;
    expired_next_ = expired_next;
    throttle_next_ = throttle_next;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  int requests_ = 0;
  long expires_in_ = 3600;
  long token_lifetime_ = 3600;
  int expired_next_ = 0;
  int throttle_next_ = 0;
};

class EntraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.path() + "/cert.pem";
    key_ = dir_.path() + "/key.pem";
    auto made = brix::RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                  "-keyout", key_, "-out", cert_, "-days", "1", "-subj",
                                  "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
    ASSERT_TRUE(made.ok());
    ASSERT_EQ(made->exit_code, 0) << made->output;
    auto server = AzuriteServer::Start({.cert_file = cert_, .key_file = key_, .oauth = true});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    azurite_ = std::move(*server);
  }

  std::map<std::string, std::string> EntraEnv() {
    return {{"AZURE_STORAGE_ACCOUNT", brix::testing::kAzuriteAccount},
            {"AZURE_CLIENT_ID", kClientId},
            {"AZURE_TENANT_ID", kTenant},
            {"AZURE_CLIENT_SECRET", kSecret},
            {"AZURE_AUTHORITY_HOST", tokens_.authority()},
            {"BRIX_CA_FILE", cert_}};
  }

  Result<std::unique_ptr<ExternalStorage>> Open(std::map<std::string, std::string> env) {
    return OpenStorage("azure://test/entra?endpoint=" + PercentEncode(azurite_->endpoint()),
                       MapEnv(std::move(env)));
  }

  brix::testing::TempDir dir_;
  std::string cert_, key_;
  TokenServer tokens_;
  std::unique_ptr<AzuriteServer> azurite_;
};

TEST_F(EntraTest, EveryOperationWorksWithOneCachedToken) {
  auto s = Open(EntraEnv());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NE((*s)->Describe().find("Entra"), std::string::npos);
  testing::CheckBasicOperations(**s, 40 << 20);
  EXPECT_EQ(tokens_.requests(), 1);  // dozens of requests, parallel blocks, one token
}

TEST_F(EntraTest, ExpiredTokenIsReplacedAndThrottlingRetried) {
  tokens_.Configure(3600, /*expired_next=*/1, /*throttle_next=*/2);
  auto s = Open(EntraEnv());
  ASSERT_TRUE(s.ok());
  // 429, 429, then a token Azurite refuses as expired, then a good one.
  Status put = (*s)->Put("obj", "data");
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(tokens_.requests(), 4);
  EXPECT_EQ(*(*s)->Get("obj"), "data");
}

TEST_F(EntraTest, TokenIsRefreshedBeforeItExpires) {
  // expires_in 302 s with the default 300 s margin: the token is due for refresh after ~2 s.
  tokens_.Configure(302, 0, 0);
  azure::EntraOptions o;
  o.authority_host = tokens_.authority();
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

}  // namespace
}  // namespace brix::storage
