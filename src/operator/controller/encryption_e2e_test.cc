// spec.encryption through the real kubectl against a real playground: the master key lives in a
// Secret, every job of an encrypted CR (log start, snapshot backup and its deep validation,
// PITR restore) reads and writes ciphertext, the restored data equals kvctl's oracle, and a CR
// naming a Secret that does not exist fails naming it and writes nothing (docs/encryption.md).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "operator/controller/controllers_e2e.h"

namespace brix {
namespace {

// `spec.encryption` with the Secret `name`, two-space indent under spec.
std::string EncryptionYaml(const std::string& name) {
  return "  encryption:\n    secretName: " + name + "\n";
}

std::string LogStartYaml() {
  return R"(apiVersion: br.pingcap.com/v1alpha1
kind: Backup
metadata:
  name: enc-log
  namespace: test1
spec:
  backupMode: log
  logSubcommand: log-start
  br:
    cluster: demo1
    sendCredToTikv: true
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: enc-log
)" + EncryptionYaml("backup-master-key");
}

TEST_F(ControllersTest, EncryptedCrsBackUpAndRestoreExactlyWithTheKeyFromASecret) {
  const std::string key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  const std::string key_file = dir_.path() + "/master.key";
  std::ofstream(key_file) << key << "\n";  // as `openssl rand -hex 32 > master.key` writes it
  auto secret = Kubectl({"create", "secret", "generic", "backup-master-key", "-n", "test1",
                         "--from-file=BRIX_ENCRYPTION_KEY=" + key_file});
  ASSERT_EQ(secret.exit_code, 0) << secret.output;

  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "300"}).exit_code, 0);
  ASSERT_EQ(Apply(LogStartYaml()).exit_code, 0);
  ASSERT_TRUE(brix::PollUntil(
      [&] {
        return Kubectl({"get", "jobs", "-n", "test1"})
                   .output.find("backup-enc-log-log-start   Complete   1/1") != std::string::npos;
      },
      60s, 200ms))
      << Kubectl({"describe", "backup", "enc-log", "-n", "test1"}).output;
  BackupYamlOptions full;
  full.spec_lines = "  verify: deep\n" + EncryptionYaml("backup-master-key");
  ASSERT_EQ(Apply(FullBackupYaml("enc-full", "enc-full", full)).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "enc-full", "phase", {"Complete", "Failed"}), "Complete")
      << Get("backup", "enc-full")["status"].dump(2);
  // The deep validation decrypted and checked every file.
  Json verification = Get("backup", "enc-full")["status"]["verification"];
  EXPECT_EQ(verification.value("result", ""), "Passed") << verification.dump();

  std::string oracle = dir_.path() + "/oracle";
  auto workload = Kvctl({"workload", "--tables", "db1.table1", "--duration", "2s", "--seed", "18",
                         "--oracle", oracle});
  ASSERT_EQ(workload.exit_code, 0) << workload.output;
  auto tso = Kvctl({"tso"});
  ASSERT_EQ(tso.exit_code, 0);
  const uint64_t target = std::stoull(tso.output);
  ASSERT_TRUE(CheckpointReaches("enc-log", target))
      << Kubectl({"describe", "backup", "enc-log", "-n", "test1"}).output;

  // Both locations hold ciphertext and a keyring: a reader without the key is refused.
  for (const std::string prefix : {"enc-full", "enc-log"}) {
    EXPECT_GT(ObjectsUnder(prefix + "/encryption"), 0) << prefix;
    auto without =
        prefix == "enc-log" ? BrixOn({"log", "metadata"}, prefix) : BrixOn({"validate"}, prefix);
    EXPECT_NE(without.exit_code, 0) << prefix << ": " << without.output;
    EXPECT_NE(without.output.find("encrypted"), std::string::npos) << without.output;
  }
  EXPECT_EQ(
      Kubectl({"get", "job", "backup-enc-full", "-n", "test1", "-o", "yaml"}).output.find(key),
      std::string::npos);

  ASSERT_EQ(Apply(PitrRestoreYaml("enc-pitr", target, "enc-log", "enc-full",
                                  EncryptionYaml("backup-master-key")))
                .exit_code,
            0);
  ASSERT_EQ(WaitFor("restore", "enc-pitr", "phase", {"Complete", "Failed"}, 120s), "Complete")
      << Kubectl({"describe", "restore", "enc-pitr", "-n", "test1"}).output;
  auto expected = Kvctl({"oracle-checksum", "--oracle", oracle, "--ts", std::to_string(target)});
  ASSERT_EQ(expected.exit_code, 0) << expected.output;
  EXPECT_FALSE(Total(expected.output).empty());
  EXPECT_EQ(Total(Kvctl({"checksum"}, env_["BRIX_PD_DEMO2"]).output), Total(expected.output));

  // A Secret that does not exist: the backup fails (RetryFailed: backoffRetryPolicy tries it
  // again later, when the Secret may exist), naming the Secret, and writes nothing.
  BackupYamlOptions missing;
  missing.spec_lines = EncryptionYaml("no-such-key");
  ASSERT_EQ(Apply(FullBackupYaml("enc-missing", "enc-missing", missing)).exit_code, 0);
  EXPECT_NE(WaitFor("backup", "enc-missing", "phase", {"Complete", "Failed", "RetryFailed"}, 90s),
            "Complete");
  auto described = Kubectl({"describe", "backup", "enc-missing", "-n", "test1"}).output;
  EXPECT_NE(described.find("no-such-key"), std::string::npos) << described;
  EXPECT_EQ(ObjectsUnder("enc-missing"), 0);
}

}  // namespace
}  // namespace brix
