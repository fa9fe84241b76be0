// The fixture of the controller e2e tests: a real playground (etcd, kvpd, kvnodes, Azurite,
// brixd with its controllers and job runner, or with `external_operator_` brixd's job runner and
// `brix operator` as its own process; with `clusters_ = 2` a second, empty cluster as the
// restore target) driven through the real kubectl. Each test gets its own playground.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/net_util.h"
#include "common/process.h"
#include "testing/temp_dir.h"

namespace brix {

using Json = nlohmann::json;
using namespace std::chrono_literals;

inline const std::string kBin = BRIX_BIN_DIR;
inline const std::string kSeed = std::string(BRIX_SEED_DIR) + "/";
inline constexpr char kKubectl[] = "/usr/bin/kubectl";

// Options of FullBackupYaml beyond its name and prefix.
struct BackupYamlOptions {
  std::string secret = "azblob-secret";
  std::string spec_lines;  // added to spec, each "  key: value\n"
  std::string br_lines;    // added to spec.br, each "    key: value\n"
};

// A full snapshot Backup of demo1 in test1 to azure://my-container/<prefix>.
inline std::string FullBackupYaml(const std::string& name, const std::string& prefix,
                                  const BackupYamlOptions& o = {}) {
  return "apiVersion: br.pingcap.com/v1alpha1\nkind: Backup\nmetadata:\n  name: " + name +
         "\n  namespace: test1\nspec:\n  backupType: full\n" + o.spec_lines +
         "  br:\n    cluster: demo1\n" + o.br_lines + "  azblob:\n    secretName: " + o.secret +
         "\n    container: my-container\n    prefix: \"" + prefix + "\"\n";
}

// A PITR Restore into demo2 to `ts` from the log and full backup folders (the seed's by
// default); `spec_lines` are added to spec, each "  key: value\n".
inline std::string PitrRestoreYaml(const std::string& name, uint64_t ts,
                                   const std::string& log_prefix = "my-log-backup-folder",
                                   const std::string& full_prefix = "my-full-backup-folder",
                                   const std::string& spec_lines = "") {
  return R"(apiVersion: br.pingcap.com/v1alpha1
kind: Restore
metadata:
  name: )" +
         name + R"(
  namespace: test1
spec:
  restoreMode: pitr
  pitrRestoredTs: ")" +
         std::to_string(ts) + R"("
  br:
    cluster: demo2
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: )" +
         log_prefix + R"(
  pitrFullBackupStorageProvider:
    azblob:
      secretName: azblob-secret
      container: my-container
      prefix: )" +
         full_prefix + "\n" + spec_lines;
}

class ControllersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kKubectl, X_OK), 0) << "the real kubectl is needed at " << kKubectl;
    pg_ = dir_.path() + "/pg";
    std::vector<std::string> argv = {kBin + "/brix",
                                     "playground",
                                     "up",
                                     "--dir",
                                     pg_,
                                     "--nodes",
                                     "2",
                                     "--azurite",
                                     "--brixd",
                                     "--clusters",
                                     std::to_string(clusters_),
                                     "--log-flush-interval-ms",
                                     "1000",
                                     "--test-log-buffer-fault-file",
                                     buffer_fault_file()};
    if (external_operator_) argv.push_back("--external-operator");
    auto up = RunCommand(argv);
    ASSERT_TRUE(up.ok());
    ASSERT_EQ(up->exit_code, 0) << up->output;
    std::ifstream in(pg_ + "/playground.env");
    for (std::string line; std::getline(in, line);) {
      size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);  // written quoted for shells: KEY='value'
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
        value = value.substr(1, value.size() - 2);
      }
      env_[line.substr(0, eq)] = value;
    }
  }
  void TearDown() override {
    RunCommand({kBin + "/brix", "playground", "down", "--dir", pg_}).status().IgnoreError();
  }

  CommandResult Kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), {kKubectl, "--kubeconfig", env_["KUBECONFIG"], "--cache-dir",
                               dir_.path() + "/kube-cache"});
    auto r = RunCommand(args);
    return r.ok() ? *r : CommandResult{};
  }
  CommandResult Apply(const std::string& yaml) {
    std::string file = dir_.path() + "/apply-" + std::to_string(applied_++) + ".yaml";
    std::ofstream(file) << yaml;
    return Kubectl({"apply", "-f", file});
  }
  Json Get(const std::string& what, const std::string& name) {
    auto r = Kubectl({"get", what, name, "-n", "test1", "-o", "json"});
    if (r.exit_code != 0) return Json();
    Json j = Json::parse(r.output, nullptr, false);
    return j.is_discarded() ? Json() : j;
  }
  std::string Field(const std::string& what, const std::string& name, const std::string& key) {
    Json j = Get(what, name);
    if (!j.is_object() || !j.contains("status") || !j["status"].contains(key)) return "";
    return j["status"][key].is_string() ? j["status"][key].get<std::string>()
                                        : j["status"][key].dump();
  }
  // Polls the CR's status.<key> until it is one of `values`; returns the last value seen.
  std::string WaitFor(const std::string& what, const std::string& name, const std::string& key,
                      const std::vector<std::string>& values, std::chrono::seconds timeout = 60s) {
    std::string v;
    brix::PollUntil(
        [&] {
          v = Field(what, name, key);
          return std::find(values.begin(), values.end(), v) != values.end();
        },
        timeout, 200ms);
    return v;
  }
  // Polls until log Backup `name`'s status.logCheckpointTs is at least `ts`.
  bool CheckpointReaches(const std::string& name, uint64_t ts, std::chrono::seconds timeout = 60s) {
    return brix::PollUntil(
        [&] {
          std::string c = Field("backup", name, "logCheckpointTs");
          return !c.empty() && std::stoull(c) >= ts;
        },
        timeout, 300ms);
  }
  // Polls until the schedule's status.lastCompact names a Complete CompactBackup; returns it,
  // read once, whole (retention may delete it later), or null.
  Json CompletedCompact(const std::string& schedule, std::chrono::seconds timeout = 60s) {
    Json compact;
    bool done = brix::PollUntil(
        [&] {
          std::string name = Field("bks", schedule, "lastCompact");
          if (name.empty()) return false;
          compact = Get("cpbk", name);
          return compact.is_object() && compact.contains("status") &&
                 compact["status"].value("state", "") == "Complete";
        },
        timeout, 300ms);
    return done ? compact : Json();
  }
  CommandResult Kvctl(std::vector<std::string> args, const std::string& pd = "") {
    args.insert(args.begin(), {kBin + "/kvctl", "--pd", pd.empty() ? env_["BRIX_PD"] : pd});
    auto r = RunCommand(args, ClusterTlsEnv());
    return r.ok() ? *r : CommandResult{};
  }
  // The playground's cluster TLS variables (from playground.env), as `source` would set them.
  std::map<std::string, std::string> ClusterTlsEnv() {
    return {{"BRIX_TLS_CA_FILE", env_["BRIX_TLS_CA_FILE"]},
            {"BRIX_TLS_CERT_FILE", env_["BRIX_TLS_CERT_FILE"]},
            {"BRIX_TLS_KEY_FILE", env_["BRIX_TLS_KEY_FILE"]}};
  }
  // `brix <args> --storage azure://my-container/<prefix>` with the playground's account.
  CommandResult BrixOn(std::vector<std::string> args, const std::string& prefix) {
    args.insert(args.begin(), kBin + "/brix");
    args.insert(args.end(), {"--storage", "azure://my-container/" + prefix +
                                              "?endpoint=" + env_["AZURE_STORAGE_ENDPOINT"]});
    auto env = ClusterTlsEnv();
    env["AZURE_STORAGE_ACCOUNT"] = env_["AZURE_STORAGE_ACCOUNT"];
    env["AZURE_STORAGE_KEY"] = env_["AZURE_STORAGE_KEY"];
    env["BRIX_CA_FILE"] = env_["BRIX_CA_FILE"];  // Azurite serves HTTPS (playground.h)
    auto r = RunCommand(args, env);
    return r.ok() ? *r : CommandResult{-1, r.status().ToString()};
  }
  // Number of objects under azure://my-container/<prefix>, or -1 on error.
  int ObjectsUnder(const std::string& prefix) {
    auto r = BrixOn({"storage", "ls"}, prefix);
    if (r.exit_code != 0) return -1;
    return static_cast<int>(std::count(r.output.begin(), r.output.end(), '\n'));
  }
  static std::string Total(const std::string& checksum_output) {
    size_t at = checksum_output.find("total ");
    return at == std::string::npos ? "" : checksum_output.substr(at);
  }
  pid_t Pid(const std::string& role) {
    Json p = Process(role);
    return p.is_object() ? p["pid"].get<pid_t>() : -1;
  }
  // The playground's record of `role` (argv, env, pid), or null.
  Json Process(const std::string& role) {
    std::ifstream in(pg_ + "/playground.json");
    Json j = Json::parse(in, nullptr, false);
    for (const auto& p : j["processes"]) {
      if (p["role"] == role) return p;
    }
    return Json();
  }

  // While this file exists, demo1's kvnodes fail their log-buffer writes like a full disk.
  std::string buffer_fault_file() const { return dir_.path() + "/buffer-fault"; }

  int clusters_ = 2;  // demo2 is the restore target
  // The controllers run as `brix operator`, its own process, over HTTPS with a ServiceAccount
  // token; brixd serves the API and runs the jobs (brix playground up --external-operator).
  bool external_operator_ = false;
  testing::TempDir dir_;
  std::string pg_;
  std::map<std::string, std::string> env_;
  int applied_ = 0;
};

// Tests that restore nothing start only demo1.
class OneClusterTest : public ControllersTest {
 protected:
  OneClusterTest() { clusters_ = 1; }
};

}  // namespace brix
