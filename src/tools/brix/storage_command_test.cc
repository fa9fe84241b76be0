// `brix storage` as a user runs it: the real binary, a real Azurite, credentials in the
// environment or the URL — and none of them in any output, on success or on failure.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/encoding.h"
#include "common/process.h"
#include "storage/azure/sas.h"
#include "storage/storage_conformance.h"
#include "testing/azurite.h"
#include "testing/temp_dir.h"

namespace brix {
namespace {

using brix::RunCommand;
using brix::testing::AzuriteServer;

const std::string kBrix = std::string(BRIX_BIN_DIR) + "/brix";

class StorageCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = AzuriteServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    azurite_ = std::move(*server);
  }

  // Runs brix and checks that no secret from `secrets` appears in what it printed.
  brix::CommandResult Brix(std::vector<std::string> args, std::map<std::string, std::string> env,
                           const std::vector<std::string>& secrets) {
    args.insert(args.begin(), kBrix);
    auto r = RunCommand(args, env);
    EXPECT_TRUE(r.ok());
    for (const auto& secret : secrets) {
      EXPECT_EQ(r->output.find(secret), std::string::npos)
          << "secret leaked by: " << args[1] << " " << args[2] << "\n"
          << r->output;
    }
    return *r;
  }

  void WriteFile(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
  }
  std::string ReadFile(const std::string& path) { return testing::FileContents(path); }

  brix::testing::TempDir dir_;
  std::unique_ptr<AzuriteServer> azurite_;
};

TEST_F(StorageCommandTest, PutGetLsRmThroughAzurite) {
  std::string data = storage::testing::RandomBytes((20 << 20) + 5, 3);
  WriteFile(dir_.path() + "/in", data);
  auto env = azurite_->SharedKeyEnv();
  std::vector<std::string> secrets = {brix::testing::kAzuriteKey};
  const std::string url = "azure://test/cli";
  auto put =
      Brix({"storage", "put", "--storage", url, dir_.path() + "/in", "dir/obj"}, env, secrets);
  ASSERT_EQ(put.exit_code, 0) << put.output;
  EXPECT_NE(put.output.find("MiB/s"), std::string::npos);
  auto ls = Brix({"storage", "ls", "--storage", url}, env, secrets);
  ASSERT_EQ(ls.exit_code, 0);
  EXPECT_NE(ls.output.find(std::to_string(data.size()) + "  dir/obj"), std::string::npos)
      << ls.output;
  auto get =
      Brix({"storage", "get", "--storage", url, "dir/obj", dir_.path() + "/out"}, env, secrets);
  ASSERT_EQ(get.exit_code, 0) << get.output;
  EXPECT_TRUE(ReadFile(dir_.path() + "/out") == data);
  auto lock1 =
      Brix({"storage", "put", "--if-absent", "--storage", url, dir_.path() + "/in", "lock"}, env,
           secrets);
  EXPECT_EQ(lock1.exit_code, 0) << lock1.output;
  auto lock2 =
      Brix({"storage", "put", "--if-absent", "--storage", url, dir_.path() + "/in", "lock"}, env,
           secrets);
  EXPECT_NE(lock2.exit_code, 0);
  EXPECT_NE(lock2.output.find("already exists"), std::string::npos) << lock2.output;
  auto rm = Brix({"storage", "rm", "--storage", url, "dir/obj"}, env, secrets);
  EXPECT_EQ(rm.exit_code, 0) << rm.output;
  auto missing =
      Brix({"storage", "get", "--storage", url, "dir/obj", dir_.path() + "/out2"}, env, secrets);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("BlobNotFound"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/out2"));  // no partial file left
}

TEST_F(StorageCommandTest, NoCredentialAppearsInAnyOutput) {
  storage::azure::AccountSasOptions o;
  o.expiry = std::chrono::system_clock::now() + std::chrono::hours(1);
  std::string sas = *storage::azure::GenerateAccountSas(brix::testing::kAzuriteAccount,
                                                        brix::testing::kAzuriteKey, o);
  std::string sig = sas.substr(sas.find("sig=") + 4);
  const std::string wrong_key = Base64Encode("wrong-key-0123456789-0123456789");
  const std::string client_secret = "entra-client-secret-do-not-print";
  std::vector<std::string> secrets = {brix::testing::kAzuriteKey, sas, sig, wrong_key,
                                      client_secret};
  WriteFile(dir_.path() + "/f", "payload");
  std::string endpoint = "endpoint=" + PercentEncode(azurite_->endpoint());

  // SAS in the URL on the command line: works, and errors echo the URL only redacted.
  std::string sas_url = "azure://test/s?" + endpoint + "&sas-token=" + PercentEncode(sas);
  std::map<std::string, std::string> acct = {
      {"AZURE_STORAGE_ACCOUNT", brix::testing::kAzuriteAccount}};
  EXPECT_EQ(Brix({"--log-level", "trace", "storage", "put", "--storage", sas_url,
                  dir_.path() + "/f", "o"},
                 acct, secrets)
                .exit_code,
            0);
  auto bad_tier =
      Brix({"storage", "ls", "--storage", sas_url + "&access-tier=Lukewarm"}, acct, secrets);
  EXPECT_NE(bad_tier.exit_code, 0);
  EXPECT_NE(bad_tier.output.find("access-tier"), std::string::npos) << bad_tier.output;
  auto bad_container =
      Brix({"storage", "ls", "--storage", "azure://Bad_Name/x?sas-token=" + PercentEncode(sas)},
           acct, secrets);
  EXPECT_NE(bad_container.exit_code, 0);
  EXPECT_NE(bad_container.output.find("REDACTED"), std::string::npos) << bad_container.output;

  // Wrong shared key in the environment: a 403 that names the error code, not the key.
  auto env = azurite_->SharedKeyEnv();
  env.erase("AZURE_STORAGE_CONNECTION_STRING");
  env["AZURE_STORAGE_KEY"] = wrong_key;
  auto denied = Brix({"--log-level", "trace", "storage", "put", "--storage",
                      "azure://test/k?" + endpoint, dir_.path() + "/f", "o"},
                     env, secrets);
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.output.find("403"), std::string::npos) << denied.output;

  // Entra secret refused by the authority (Azurite stands in for it and answers with an error):
  // the failure names the client, not the secret.
  std::map<std::string, std::string> entra = {
      {"AZURE_STORAGE_ACCOUNT", brix::testing::kAzuriteAccount},
      {"AZURE_CLIENT_ID", "cid"},
      {"AZURE_TENANT_ID", "tid"},
      {"AZURE_CLIENT_SECRET", client_secret},
      {"AZURE_AUTHORITY_HOST", "http://127.0.0.1:" + std::to_string(azurite_->port())}};
  auto no_token =
      Brix({"storage", "stat", "--storage", "azure://test/e?" + endpoint, "o"}, entra, secrets);
  EXPECT_NE(no_token.exit_code, 0);
  EXPECT_NE(no_token.output.find("Entra token request"), std::string::npos) << no_token.output;
}

TEST_F(StorageCommandTest, BadInvocationsExitNonZeroWithAClearMessage) {
  auto no_storage = Brix({"storage", "ls"}, {}, {});
  EXPECT_NE(no_storage.exit_code, 0);
  EXPECT_NE(no_storage.output.find("--storage"), std::string::npos) << no_storage.output;
  auto bad_level = Brix({"--log-level", "loud", "storage", "ls", "--storage", dir_.path()}, {}, {});
  EXPECT_NE(bad_level.exit_code, 0);
  EXPECT_NE(bad_level.output.find("--log-level"), std::string::npos) << bad_level.output;
  auto no_creds =
      Brix({"storage", "ls", "--storage", "azure://test/x"}, {{"AZURE_STORAGE_ACCOUNT", "a"}}, {});
  EXPECT_NE(no_creds.exit_code, 0);
  EXPECT_NE(no_creds.output.find("no credentials"), std::string::npos) << no_creds.output;
}

}  // namespace
}  // namespace brix
