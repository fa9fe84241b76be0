#include "operator/client/kubeconfig.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/encoding.h"
#include "testing/temp_dir.h"

namespace brix::client {
namespace {

class KubeconfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // A kubeconfig with `cluster_lines` under the cluster and `user_lines` under the user.
  std::string Kubeconfig(const std::string& cluster_lines, const std::string& user_lines) {
    return Write("config",
                 "apiVersion: v1\nkind: Config\ncurrent-context: op\n"
                 "contexts:\n- name: other\n  context: {cluster: x, user: x}\n"
                 "- name: op\n  context:\n    cluster: brixd\n    user: sa\n"
                 "    namespace: brix-system\n"
                 "clusters:\n- name: brixd\n  cluster:\n    server: https://127.0.0.1:8443/\n" +
                     cluster_lines + "users:\n- name: sa\n  user:\n" + user_lines);
  }
  testing::TempDir dir_;
};

TEST_F(KubeconfigTest, CurrentContextGivesServerCaFileTokenAndNamespace) {
  auto c = LoadKubeconfig(Kubeconfig("    certificate-authority: ca.crt\n", "    token: t0k\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.server, "https://127.0.0.1:8443");
  EXPECT_EQ(c->http.ca_file, dir_.path() + "/ca.crt");  // relative to the file's folder
  EXPECT_EQ(c->http.token, "t0k");
  EXPECT_EQ(c->ns, "brix-system");
  EXPECT_EQ(c->source.find("t0k"), std::string::npos);
}

TEST_F(KubeconfigTest, CaDataAndTokenFileAreRead) {
  std::string pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
  auto c = LoadKubeconfig(Kubeconfig("    certificate-authority-data: " + Base64Encode(pem) + "\n",
                                     "    tokenFile: /run/token\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.ca_pem, pem);
  EXPECT_EQ(c->http.token_file, "/run/token");
  EXPECT_TRUE(c->http.token.empty());
}

TEST_F(KubeconfigTest, UnsupportedAuthIsRefusedNamingTheFieldAndWhatWorks) {
  struct Case {
    std::string cluster, user, field, supported;
  };
  std::vector<Case> cases = {
      {"", "    client-certificate-data: eA==\n    client-key-data: eA==\n",
       "users[sa].user.client-certificate-data", "token, tokenFile"},
      {"", "    exec:\n      command: aws\n", "users[sa].user.exec", "token, tokenFile"},
      {"", "    auth-provider: {name: gcp}\n", "users[sa].user.auth-provider", "token, tokenFile"},
      {"    insecure-skip-tls-verify: true\n", "    token: t\n",
       "clusters[brixd].cluster.insecure-skip-tls-verify", "certificate-authority"},
      {"    proxy-url: http://proxy\n", "    token: t\n", "clusters[brixd].cluster.proxy-url",
       "certificate-authority-data"},
      {"", "    username: a\n    password: b\n", "users[sa].user.", "token, tokenFile"},
  };
  for (const auto& c : cases) {
    auto r = LoadKubeconfig(Kubeconfig(c.cluster, c.user));
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.supported), std::string::npos) << r.status().message();
  }
}

TEST_F(KubeconfigTest, MissingContextServerOrTokenIsExplained) {
  auto none = LoadKubeconfig(Write("empty", "apiVersion: v1\nkind: Config\n"));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("current-context"), std::string::npos);
  auto no_token = LoadKubeconfig(Kubeconfig("", "    {}\n"));
  ASSERT_FALSE(no_token.ok());
  EXPECT_NE(no_token.status().message().find("no token"), std::string::npos);
  auto plain = LoadKubeconfig(
      Write("plain",
            "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
            "clusters:\n- name: k\n  cluster: {server: 'http://127.0.0.1:80'}\n"
            "users:\n- name: u\n  user: {token: t}\n"));
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.status().message().find("https://"), std::string::npos);
  EXPECT_EQ(plain.status().message().find("token: t"), std::string::npos);
  EXPECT_TRUE(LoadKubeconfig(dir_.path() + "/absent").status().IsNotFound());
}

TEST_F(KubeconfigTest, InClusterReadsTheServiceAccountMount) {
  Write("token", "sa-token\n");
  Write("ca.crt", "pem");
  Write("namespace", "brix-system\n");
  auto c = InClusterConfig(
      MapEnv({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      dir_.path());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.server, "https://10.0.0.1:443");
  EXPECT_EQ(c->http.token_file, dir_.path() + "/token");
  EXPECT_EQ(c->http.ca_file, dir_.path() + "/ca.crt");
  EXPECT_EQ(c->ns, "brix-system");
  auto v6 = InClusterConfig(
      MapEnv({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      dir_.path());
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->http.server, "https://[fd00::1]:443");
  auto outside = InClusterConfig(MapEnv({}), dir_.path());
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("--kubeconfig"), std::string::npos);
}

TEST_F(KubeconfigTest, FlagWinsOverKubeconfigVariableWhichWinsOverInCluster) {
  std::string file = Kubeconfig("", "    token: t\n");
  auto env = MapEnv({{"KUBECONFIG", file + ":/elsewhere"}});
  auto from_env = ResolveClientConfig("", env);
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->http.token, "t");
  EXPECT_TRUE(ResolveClientConfig(dir_.path() + "/absent", env).status().IsNotFound());
  EXPECT_TRUE(ResolveClientConfig("", MapEnv({})).status().IsInvalidArgument());
}

// A projected token rotates: the client re-reads the file (at most once a minute, so a fresh
// client sees the file as it is now).
TEST_F(KubeconfigTest, TokenFileIsReadByTheClient) {
  HttpClientOptions o;
  o.server = "https://127.0.0.1:1";
  o.token_file = Write("token", "first\n");
  HttpApiClient client(o);
  auto t = client.BearerToken();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "first");
  o.token_file = dir_.path() + "/none";
  HttpApiClient missing(o);
  EXPECT_FALSE(missing.BearerToken().ok());
}

}  // namespace
}  // namespace brix::client
