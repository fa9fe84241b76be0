// BrixdTest: the fixture of brixd's end-to-end tests: a real etcd and the brixd binary on free
// loopback ports in a temp folder, driven with /usr/bin/kubectl and the kubeconfig brixd writes
// (fresh discovery cache per test), plus a raw HTTPS client for status codes.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/net_util.h"
#include "common/process.h"
#include "operator/client/http_client.h"
#include "testing/etcd.h"
#include "testing/temp_dir.h"

namespace brix::apiserver {

using Json = nlohmann::json;
using brix::testing::TempDir;
using namespace std::chrono_literals;

inline constexpr char kKubectl[] = "/usr/bin/kubectl";
inline const std::string kSeed = std::string(BRIX_TESTDATA_DIR) + "/seed/";

class BrixdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kKubectl, X_OK), 0) << "the real kubectl is needed at " << kKubectl;
    auto etcd = brix::testing::EtcdServer::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
    etcd_ = std::move(*etcd);
    auto port = brix::FreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    kubeconfig_ = dir_.path() + "/kubeconfig";
    StartBrixd();
  }

  void StartBrixd() {
    ::unlink(kubeconfig_.c_str());
    ::mkdir((dir_.path() + "/state").c_str(), 0700);
    auto child = ChildProcess::Start(
        {std::string(BRIX_BIN_DIR) + "/brixd", "--etcd", etcd_->endpoint(), "--listen",
         "127.0.0.1:" + std::to_string(port_), "--kubeconfig-out", kubeconfig_, "--state-dir",
         dir_.path() + "/state", "--log-level", "debug",
         // The API alone: these tests own every object they write.
         "--no-controllers"},
        {}, dir_.path() + "/brixd.log");
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    brixd_ = std::move(*child);
    ASSERT_TRUE(PollUntil([&] { return ::access(kubeconfig_.c_str(), R_OK) == 0; }, 10s))
        << testing::FileContents(dir_.path() + "/brixd.log");
    ASSERT_TRUE(brix::WaitForPort(port_, 10s));
  }

  CommandResult Kubectl(std::vector<std::string> args,
                        const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir",
                                     dir_.path() + "/kube-cache"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, env);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CommandResult{};
  }

  // kubectl that must succeed; returns its output.
  std::string Ok(std::vector<std::string> args,
                 const std::map<std::string, std::string>& env = {}) {
    CommandResult r = Kubectl(args, env);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 0) << "kubectl " << joined << "\n" << r.output;
    return r.output;
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string Token() {
    std::string kc = testing::FileContents(kubeconfig_);
    size_t at = kc.find("token: ");
    return kc.substr(at + 7, kc.find('\n', at) - at - 7);
  }

  // A raw HTTPS client for what kubectl cannot show (status codes, status writes).
  std::unique_ptr<httplib::SSLClient> Http(bool with_token = true) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    c->enable_server_certificate_verification(false);
    if (with_token) c->set_bearer_token_auth(Token().c_str());
    c->set_read_timeout(30, 0);
    return c;
  }

  // A raw HTTPS client sending `token` (a ServiceAccount's, say).
  std::unique_ptr<httplib::SSLClient> HttpAs(const std::string& token) {
    auto c = Http(/*with_token=*/false);
    c->set_bearer_token_auth(token.c_str());
    return c;
  }

  // brixd's kubeconfig with another bearer token, written to `name` in the temp folder.
  std::string KubeconfigWithToken(const std::string& name, const std::string& token) {
    std::string kc = testing::FileContents(kubeconfig_);
    size_t at = kc.find("token: ") + 7;
    kc.replace(at, kc.find('\n', at) - at, token);
    return WriteFile(name, kc);
  }

  // kubectl with another kubeconfig (and its own discovery cache).
  CommandResult KubectlWith(const std::string& kubeconfig, std::vector<std::string> args) {
    std::vector<std::string> argv = {kKubectl, "--kubeconfig", kubeconfig, "--cache-dir",
                                     dir_.path() + "/kube-cache-" + std::to_string(++caches_)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CommandResult{};
  }

  // How an HttpApiClient reaches this brixd as its admin.
  client::HttpClientOptions ApiOptions() {
    client::HttpClientOptions o;
    o.server = "https://127.0.0.1:" + std::to_string(port_);
    o.token = Token();
    o.ca_file = dir_.path() + "/state/tls.crt";
    o.retry_for = 20s;
    return o;
  }

  Json GetJson(const std::string& path) {
    auto res = Http()->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
    return Json::parse(res->body, nullptr, false);
  }

  TempDir dir_;
  std::unique_ptr<brix::testing::EtcdServer> etcd_;
  int port_ = 0;
  std::string kubeconfig_;
  ChildProcess brixd_;
  int caches_ = 0;
};

}  // namespace brix::apiserver
