// Secrets never leak. The seed's story runs with three kinds of storage credential: the account
// key (the seed's azblob-secret, forwarded to the nodes by a log backup), a SAS and Azure AD
// client secrets (one refused; the seed's azblob-secret-ad, which the playground's token
// endpoint answers, backs up through Entra end to end). Then every byte brix wrote is searched for
// each secret, raw and base64-encoded: every file under the playground (logs, job logs, state, node
// data), every key in the clusters' etcd apart from the Secret objects themselves, every CR, Job
// and Event through the API, every running process's argv, and what `brix log status` and kvpd's
// LogTaskGet reply carry.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cluster/client/log_task_client.h"
#include "cluster/client/pd_client.h"
#include "common/encoding.h"
#include "common/net_util.h"
#include "common/process.h"
#include "etcd/etcd_client.h"
#include "operator/controller/controllers_e2e.h"
#include "storage/azure/sas.h"
#include "testing/temp_dir.h"

namespace brix {
namespace {

namespace fs = std::filesystem;

// The secrets and the forms they could leak in.
class SecretScanner {
 public:
  void Add(const std::string& name, const std::string& value) {
    forms_.push_back({name, value});
    forms_.push_back({name + " (base64)", Base64Encode(value)});
  }
  // Records where a secret occurs in `bytes`.
  void Scan(const std::string& where, std::string_view bytes) {
    for (const auto& [name, form] : forms_) {
      if (bytes.find(form) != std::string_view::npos) leaks_.push_back(name + " in " + where);
    }
  }
  const std::vector<std::string>& leaks() const { return leaks_; }

 private:
  std::vector<std::pair<std::string, std::string>> forms_;
  std::vector<std::string> leaks_;
};

class SecretsTest : public ControllersTest {
 protected:
  // playground.env's TLS and etcd settings for the clients this process opens itself.
  void UsePlaygroundEnv() {
    for (const auto& [k, v] : env_) {
      if (k.rfind("BRIX_TLS_", 0) == 0 || k == "BRIX_INSECURE") ::setenv(k.c_str(), v.c_str(), 1);
    }
  }
  static std::string Backup(const std::string& name, const std::string& secret,
                            const std::string& prefix) {
    BackupYamlOptions o;
    o.secret = secret;
    o.br_lines = "    sendCredToTikv: true\n";
    return FullBackupYaml(name, prefix, o);
  }
};

TEST_F(SecretsTest, NoSecretAppearsInFilesEtcdApiObjectsArgvOrRpcReplies) {
  UsePlaygroundEnv();
  const std::string account = env_["AZURE_STORAGE_ACCOUNT"];
  const std::string key = env_["AZURE_STORAGE_KEY"];
  const std::string endpoint = env_["AZURE_STORAGE_ENDPOINT"];
  storage::azure::AccountSasOptions so;
  so.expiry = std::chrono::system_clock::now() + std::chrono::hours(2);
  auto sas = storage::azure::GenerateAccountSas(account, key, so);
  ASSERT_TRUE(sas.ok()) << sas.status().ToString();
  const std::string client_secret = "brix-canary-client-secret-5c1e7a90d2";
  auto no_listener = FreeLoopbackPort();  // the AD authority: nothing answers there
  ASSERT_TRUE(no_listener.ok());

  ASSERT_EQ(Kubectl({"create", "secret", "generic", "azblob-secret-sas", "-n", "test1",
                     "--from-literal=AZURE_STORAGE_ACCOUNT=" + account,
                     "--from-literal=AZURE_STORAGE_ENDPOINT=" + endpoint,
                     "--from-literal=AZURE_STORAGE_SAS_TOKEN=" + *sas})
                .exit_code,
            0);
  ASSERT_EQ(Kubectl({"create", "secret", "generic", "azblob-secret-entra", "-n", "test1",
                     "--from-literal=AZURE_STORAGE_ACCOUNT=" + account,
                     "--from-literal=AZURE_STORAGE_ENDPOINT=" + endpoint,
                     "--from-literal=AZURE_CLIENT_ID=brix-test-client",
                     "--from-literal=AZURE_TENANT_ID=brix-test-tenant",
                     "--from-literal=AZURE_CLIENT_SECRET=" + client_secret,
                     "--from-literal=AZURE_AUTHORITY_HOST=http://127.0.0.1:" +
                         std::to_string(*no_listener)})
                .exit_code,
            0);

  // The story: a log backup forwarding the account key, the seed's full backup, a backup with
  // the SAS, one with the client secret (its authority refuses: it fails), and a PITR.
  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "200"}).exit_code, 0);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-azblob.yaml"}).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Running", "Failed"}),
            "Running");
  ASSERT_TRUE(brix::PollUntil(
      [&] { return !Field("backup", "demo1-log-backup-azblob", "commitTs").empty(); }, 60s));
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "full-backup-azblob.yaml"}).exit_code, 0);
  ASSERT_EQ(Apply(Backup("sas-backup", "azblob-secret-sas", "sas-backup")).exit_code, 0);
  ASSERT_EQ(Apply(Backup("entra-backup", "azblob-secret-entra", "entra-backup")).exit_code, 0);
  // The seed's Azure AD example as written: azblob-secret-ad holds Entra client credentials
  // (no account key), answered by the playground's token endpoint; Azurite takes the bearer
  // tokens over HTTPS, and the nodes (sendCredToTikv: false) use their own Entra credentials.
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "rbac.yaml", "-n", "test1"}).exit_code, 0);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "backup-all-clusters.yaml"}).exit_code, 0);
  EXPECT_EQ(WaitFor("backup", "demo1-full-backup-azblob", "phase", {"Complete", "Failed"}, 120s),
            "Complete");
  EXPECT_EQ(WaitFor("backup", "sas-backup", "phase", {"Complete", "Failed"}, 120s), "Complete")
      << Kubectl({"describe", "backup", "sas-backup", "-n", "test1"}).output;
  EXPECT_EQ(WaitFor("backup", "entra-backup", "phase", {"Complete", "Failed"}, 180s), "Failed");
  EXPECT_EQ(WaitFor("backup", "demo1-backup-azblob", "phase", {"Complete", "Failed"}, 120s),
            "Complete")
      << Kubectl({"describe", "backup", "demo1-backup-azblob", "-n", "test1"}).output;
  auto ad = Kubectl({"get", "secret", "azblob-secret-ad", "-n", "test1", "-o", "json"});
  ASSERT_EQ(ad.exit_code, 0);
  Json ad_data = Json::parse(ad.output)["data"];
  EXPECT_TRUE(ad_data.contains("AZURE_CLIENT_SECRET")) << ad_data.dump();
  EXPECT_FALSE(ad_data.contains("AZURE_STORAGE_KEY")) << ad_data.dump();
  auto tso = Kvctl({"tso"});
  ASSERT_EQ(tso.exit_code, 0);
  const uint64_t target = std::stoull(tso.output);
  ASSERT_TRUE(CheckpointReaches("demo1-log-backup-azblob", target));
  ASSERT_EQ(Apply(PitrRestoreYaml("demo2-pitr", target)).exit_code, 0);
  EXPECT_EQ(WaitFor("restore", "demo2-pitr", "phase", {"Complete", "Failed"}, 120s), "Complete")
      << Kubectl({"describe", "restore", "demo2-pitr", "-n", "test1"}).output;

  SecretScanner scan;
  scan.Add("the account key", key);
  scan.Add("the SAS signature", sas->substr(sas->find("sig=") + 4));
  scan.Add("the client secret", client_secret);
  scan.Add("the playground's Entra client secret",
           testing::FileContents(pg_ + "/entra/client-secret"));

  // What the API shows: CRs, Jobs, Events (Secrets themselves are the one place they belong).
  for (const char* kind :
       {"backups", "restores", "compactbackups", "backupschedules", "jobs", "events"}) {
    auto r = Kubectl({"get", kind, "-A", "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << kind << ": " << r.output;
    scan.Scan(std::string("`kubectl get ") + kind + "`", r.output);
  }
  // What the log task's readers get back.
  auto status = RunCommand({kBin + "/brix", "log", "status", "--pd", env_["BRIX_PD"], "--task-name",
                            "demo1-log-backup-azblob", "--output", "json"});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->exit_code, 0) << status->output;
  scan.Scan("`brix log status`", status->output);
  auto pd = cluster::PdClient::Connect(env_["BRIX_PD"]);
  ASSERT_TRUE(pd.ok()) << pd.status().ToString();
  auto got = cluster::LogTaskClient(**pd).Get("demo1-log-backup-azblob");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const cluster::LogTaskGetResponse& task = *got;
  ASSERT_TRUE(task.found());
  scan.Scan("kvpd's LogTaskGet reply", task.SerializeAsString());
  // The argv of every process the playground started and of their children (the jobs).
  std::set<std::string> ours;
  {
    std::ifstream in(pg_ + "/playground.json");
    Json j = Json::parse(in, nullptr, false);
    for (const auto& p : j["processes"]) ours.insert(std::to_string(p["pid"].get<pid_t>()));
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string pid = entry.path().filename();
      if (pid.find_first_not_of("0123456789") != std::string::npos || ours.count(pid)) continue;
      std::string stat =
          testing::FileContents(entry.path() / "stat");  // "pid (comm) state ppid ..."
      size_t close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream fields(stat.substr(close + 2));
      std::string state, ppid;
      fields >> state >> ppid;
      if (ours.count(ppid)) grew = ours.insert(pid).second || grew;
    }
  }
  EXPECT_GE(ours.size(), 8u);
  for (const auto& pid : ours) {
    scan.Scan("the argv of pid " + pid, testing::FileContents("/proc/" + pid + "/cmdline"));
  }
  // The clusters' etcd, apart from the Secret objects brixd stores there.
  for (const char* var : {"BRIX_ETCD"}) {
    auto etcd = etcd::EtcdClient::Connect(env_[var]);
    ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
    auto all = (*etcd)->GetPrefix("");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_GT(all->kvs.size(), 10u);
    for (const auto& kv : all->kvs) {
      if (kv.key.rfind("/brix/registry/core/secrets/", 0) == 0) continue;
      scan.Scan("etcd key " + kv.key, kv.value);
    }
  }
  // Every file brix wrote: logs, job logs, state, node data. The etcd data folder holds the
  // Secret objects (checked key by key above); playground.env and playground.json are the
  // playground's own credential files (0600, what `source playground.env` reads).
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(pg_)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const std::string rel = path.substr(pg_.size() + 1);
    if (rel.rfind("etcd/", 0) == 0 || rel == "playground.env" || rel == "playground.json" ||
        rel == "entra/client-secret") {
      continue;
    }
    ++files;
    scan.Scan(rel, testing::FileContents(path));
  }
  EXPECT_GT(files, 20u);
  EXPECT_TRUE(scan.leaks().empty()) << [&] {
    std::string all;
    for (const auto& l : scan.leaks()) all += l + "\n";
    return all;
  }();
}

}  // namespace
}  // namespace brix
