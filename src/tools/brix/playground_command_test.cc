// `brix playground` as a user runs it: up, use, kill -9 a node, up again restarts it, down.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/net_util.h"
#include "common/process.h"
#include "testing/temp_dir.h"

namespace brix {
namespace {

const std::string kBin = std::string(BRIX_BIN_DIR);

std::map<std::string, pid_t> Pids(const std::string& dir) {
  std::ifstream in(dir + "/playground.json");
  auto j = nlohmann::json::parse(in, nullptr, false);
  std::map<std::string, pid_t> out;
  if (j.is_discarded()) return out;
  for (auto& p : j["processes"]) out[p["role"]] = p["pid"].get<pid_t>();
  return out;
}

std::map<std::string, std::string> Env(const std::string& dir) {
  std::ifstream in(dir + "/playground.env");
  std::map<std::string, std::string> env;
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
      value = value.substr(1, value.size() - 2);
    env[line.substr(0, eq)] = value;
  }
  return env;
}

bool Running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string a, b, state;
  return (stat >> a >> b >> state) && state != "Z";
}

TEST(PlaygroundTest, UpRestartWhatDiedDown) {
  testing::TempDir dir;
  std::string pg = dir.path() + "/pg";
  struct Down {  // never leave a playground behind, even when an assertion fails
    std::string pg;
    ~Down() {
      RunCommand({kBin + "/brix", "playground", "down", "--dir", pg}).status().IgnoreError();
    }
  } down{pg};
  auto up = RunCommand(
      {kBin + "/brix", "playground", "up", "--dir", pg, "--nodes", "2", "--azurite", "--brixd"});
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->exit_code, 0) << up->output;
  auto env = Env(pg);
  for (const char* k : {"BRIX_PD", "BRIX_ETCD", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY",
                        "AZURE_STORAGE_CONNECTION_STRING", "KUBECONFIG", "BRIX_TLS_CA_FILE",
                        "BRIX_TLS_CERT_FILE", "BRIX_TLS_KEY_FILE"}) {
    EXPECT_FALSE(env[k].empty()) << k;
  }
  // The cluster's CA and certificate: in DIR/tls, owner only.
  for (const char* k : {"BRIX_TLS_CA_FILE", "BRIX_TLS_CERT_FILE", "BRIX_TLS_KEY_FILE"}) {
    EXPECT_EQ(env[k].rfind(pg + "/tls/", 0), 0u) << env[k];
    struct stat st {};
    ASSERT_EQ(::stat(env[k].c_str(), &st), 0) << env[k];
    EXPECT_EQ(st.st_mode & 0777, 0600u) << env[k];
  }
  EXPECT_EQ(env["BRIX_ETCD"].rfind("https://", 0), 0u) << env["BRIX_ETCD"];
  // As a user runs it: `source playground.env`, then kvctl.
  auto tso = RunCommand(
      {"bash", "-c", "set -a; source " + pg + "/playground.env; " + kBin + "/kvctl tso"});
  ASSERT_TRUE(tso.ok());
  ASSERT_EQ(tso->exit_code, 0) << tso->output;
  // Plaintext is refused, and so is a client that has no certificate to show.
  auto plain =
      RunCommand({kBin + "/kvctl", "tso"},
                 {{"BRIX_PD", env["BRIX_PD"]}, {"BRIX_INSECURE", "1"}, {"BRIX_TLS_CA_FILE", ""}});
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->exit_code, 0) << plain->output;
  auto no_files = RunCommand({kBin + "/kvctl", "tso"}, {{"BRIX_PD", env["BRIX_PD"]},
                                                        {"BRIX_TLS_CA_FILE", ""},
                                                        {"BRIX_TLS_CERT_FILE", ""},
                                                        {"BRIX_TLS_KEY_FILE", ""}});
  ASSERT_TRUE(no_files.ok());
  EXPECT_NE(no_files->exit_code, 0) << no_files->output;
  EXPECT_NE(no_files->output.find("BRIX_TLS_CA_FILE"), std::string::npos) << no_files->output;
  // The real kubectl talks to the playground's brixd.
  auto kubectl = RunCommand({"kubectl", "--kubeconfig", env["KUBECONFIG"], "--cache-dir",
                             dir.path() + "/kube-cache", "get", "backup", "-n", "test1"});
  ASSERT_TRUE(kubectl.ok());
  EXPECT_EQ(kubectl->exit_code, 0) << kubectl->output;
  EXPECT_NE(kubectl->output.find("No resources found"), std::string::npos) << kubectl->output;
  // The cluster credential key: created owner-only; log tasks forward credentials sealed, and
  // `brix log update-credentials` rotates them (its exact command line is the documented one).
  struct stat key {};
  ASSERT_EQ(::stat((pg + "/credential.key").c_str(), &key), 0);
  EXPECT_EQ(key.st_mode & 0777, 0600u);
  std::map<std::string, std::string> azure;
  for (const char* k :
       {"BRIX_PD", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING",
        "BRIX_TLS_CA_FILE", "BRIX_TLS_CERT_FILE", "BRIX_TLS_KEY_FILE", "BRIX_CA_FILE"}) {
    azure[k] = env[k];
  }
  auto log_start = RunCommand(
      {kBin + "/brix", "log", "start", "--task-name", "pg-log", "--storage", "azure://pglog/t"},
      azure);
  ASSERT_EQ(log_start->exit_code, 0) << log_start->output;
  auto rotate =
      RunCommand({kBin + "/brix", "log", "update-credentials", "--task-name", "pg-log"}, azure);
  EXPECT_EQ(rotate->exit_code, 0) << rotate->output;
  auto log_status = RunCommand(
      {kBin + "/brix", "log", "status", "--task-name", "pg-log", "--output", "json"}, azure);
  EXPECT_EQ(log_status->exit_code, 0) << log_status->output;
  EXPECT_EQ(log_status->output.find(env["AZURE_STORAGE_KEY"]), std::string::npos);
  auto pids = Pids(pg);
  ASSERT_EQ(pids.size(), 7u);  // etcd, kvpd-1, kvnode-1, kvnode-2, brixd, azurite, entra
  ::kill(pids["kvnode-2"], SIGKILL);
  ASSERT_TRUE(brix::PollUntil([&] { return !Running(pids["kvnode-2"]); }, std::chrono::seconds(5)));
  auto again = RunCommand({kBin + "/brix", "playground", "up", "--dir", pg});
  ASSERT_EQ(again->exit_code, 0) << again->output;
  auto after = Pids(pg);
  EXPECT_NE(after["kvnode-2"], pids["kvnode-2"]);  // restarted
  EXPECT_EQ(after["kvnode-1"], pids["kvnode-1"]);  // left alone
  EXPECT_TRUE(Running(after["kvnode-2"]));
  auto load = RunCommand({kBin + "/kvctl", "load", "--table", "db.t", "--rows", "100"}, env);
  EXPECT_EQ(load->exit_code, 0) << load->output;
  auto stopped = RunCommand({kBin + "/brix", "playground", "down", "--dir", pg});
  EXPECT_EQ(stopped->exit_code, 0) << stopped->output;
  for (const auto& [role, pid] : after) EXPECT_FALSE(Running(pid)) << role;
  std::ifstream env_file(pg + "/playground.env");
  EXPECT_FALSE(env_file.good());
}

}  // namespace
}  // namespace brix
