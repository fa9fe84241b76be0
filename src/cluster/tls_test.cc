// The cluster asks who is calling: kvpd and kvnode serve mutual TLS only (net/grpc_tls.h).
// Plaintext clients, clients without a certificate and clients whose certificate another CA
// signed are refused; a server started without TLS files refuses to start; --insecure serves
// plaintext and says so loudly.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cluster/proto/cluster.grpc.pb.h"
#include "common/net_util.h"
#include "common/process.h"
#include "net/grpc_tls.h"
#include "testing/cluster.h"
#include "testing/temp_dir.h"

namespace brix::cluster {
namespace {

using brix::testing::ClusterHarness;

// One short unary call to kvpd (GetTs) and to kvnode (ResolvedTs) with `creds`.
grpc::Status CallPd(const std::string& address,
                    const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  auto stub = PD::NewStub(grpc::CreateChannel(address, creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  GetTsRequest req;
  GetTsResponse resp;
  return stub->GetTs(&ctx, req, &resp);
}

grpc::Status CallNode(const std::string& address,
                      const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  auto stub = KvNode::NewStub(grpc::CreateChannel(address, creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  ResolvedTsRequest req;
  ResolvedTsResponse resp;
  return stub->ResolvedTs(&ctx, req, &resp);
}

class ClusterTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::ClusterOptions o;
    o.nodes = 1;
    auto h = ClusterHarness::Start(o);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    cluster_ = std::move(h).value().release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr); }

  // Credentials from files of a second, unrelated CA in `dir`.
  static net::TlsFiles Foreign(const std::string& dir) {
    auto files = net::WriteClusterTls(dir + "/foreign-tls");
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    return files.ok() ? *files : net::TlsFiles{};
  }

  static ClusterHarness* cluster_;
};
ClusterHarness* ClusterTlsTest::cluster_ = nullptr;

TEST_F(ClusterTlsTest, AClientWithTheClusterCertificateIsServed) {
  auto creds = net::ChannelCredentials(net::TlsConfig{cluster_->tls(), false});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  auto pd = CallPd(cluster_->PdAddress(0), *creds);
  EXPECT_TRUE(pd.ok()) << pd.error_message();
  auto node = CallNode(cluster_->NodeAddress(0), *creds);
  EXPECT_TRUE(node.ok()) << node.error_message();
}

TEST_F(ClusterTlsTest, APlaintextCallToKvpdAndToKvnodeIsRefused) {
  auto plain = grpc::InsecureChannelCredentials();
  EXPECT_FALSE(CallPd(cluster_->PdAddress(0), plain).ok());
  EXPECT_FALSE(CallNode(cluster_->NodeAddress(0), plain).ok());
}

TEST_F(ClusterTlsTest, AClientWithoutAClientCertificateIsRefused) {
  grpc::SslCredentialsOptions o;  // trusts the cluster's CA, presents nothing
  o.pem_root_certs = testing::FileContents(cluster_->tls().ca_file);
  auto creds = grpc::SslCredentials(o);
  EXPECT_FALSE(CallPd(cluster_->PdAddress(0), creds).ok());
  EXPECT_FALSE(CallNode(cluster_->NodeAddress(0), creds).ok());
}

TEST_F(ClusterTlsTest, AClientWhoseCertificateAnotherCaSignedIsRefused) {
  net::TlsFiles foreign = Foreign(cluster_->dir());
  // Trusts the cluster (so only the server's check of the client can fail).
  net::TlsFiles mixed{cluster_->tls().ca_file, foreign.cert_file, foreign.key_file};
  auto creds = net::ChannelCredentials(net::TlsConfig{mixed, false});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_FALSE(CallPd(cluster_->PdAddress(0), *creds).ok());
  EXPECT_FALSE(CallNode(cluster_->NodeAddress(0), *creds).ok());
}

TEST_F(ClusterTlsTest, AClientRefusesAServerItsCaDidNotSign) {
  net::TlsFiles foreign = Foreign(cluster_->dir());
  auto creds = net::ChannelCredentials(net::TlsConfig{foreign, false});
  ASSERT_TRUE(creds.ok());
  EXPECT_FALSE(CallPd(cluster_->PdAddress(0), *creds).ok());
}

TEST_F(ClusterTlsTest, AClientWithoutTlsFilesRefusesNamingTheVariables) {
  auto creds = net::ChannelCredentials(net::TlsConfig{});
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("BRIX_TLS_CA_FILE"), std::string::npos);
  EXPECT_NE(creds.status().message().find("--insecure"), std::string::npos);
  // kvctl as a user runs it with no TLS variables.
  auto r =
      RunCommand({BinDir() + "/kvctl", "--pd", cluster_->PdAddress(0), "tso"},
                 {{net::kTlsCaFileEnv, ""}, {net::kTlsCertFileEnv, ""}, {net::kTlsKeyFileEnv, ""}});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_NE(r->output.find("BRIX_TLS_CA_FILE"), std::string::npos) << r->output;
}

TEST_F(ClusterTlsTest, KvctlWithTheClusterCertificateWorks) {
  auto r = RunCommand({BinDir() + "/kvctl", "--pd", cluster_->PdAddress(0), "tso"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
}

TEST_F(ClusterTlsTest, ServersWithoutTlsFilesRefuseToStartNamingTheFlags) {
  auto port = brix::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  std::string listen = "127.0.0.1:" + std::to_string(*port);
  auto pd = RunCommand({BinDir() + "/kvpd", "--etcd", "https://127.0.0.1:1", "--listen", listen});
  ASSERT_TRUE(pd.ok());
  EXPECT_NE(pd->exit_code, 0);
  EXPECT_NE(pd->output.find("--tls-cert-file"), std::string::npos) << pd->output;
  auto node = RunCommand({BinDir() + "/kvnode", "--pd", cluster_->PdAddress(0), "--listen", listen,
                          "--data-dir", cluster_->dir() + "/refused-node"});
  ASSERT_TRUE(node.ok());
  EXPECT_NE(node->exit_code, 0);
  EXPECT_NE(node->output.find("--tls-cert-file"), std::string::npos) << node->output;
}

// --insecure: a whole plaintext cluster (etcd on http, kvpd and kvnode --insecure) works, and
// each server's log says loudly that it is plaintext.
TEST(ClusterInsecureTest, InsecureServesPlaintextAndWarns) {
  testing::TempDir dir;
  auto etcd_port = brix::FreeLoopbackPort();
  auto peer_port = brix::FreeLoopbackPort();
  auto pd_port = brix::FreeLoopbackPort();
  auto node_port = brix::FreeLoopbackPort();
  ASSERT_TRUE(etcd_port.ok() && peer_port.ok() && pd_port.ok() && node_port.ok());
  std::string etcd = "http://127.0.0.1:" + std::to_string(*etcd_port);
  std::string peer = "http://127.0.0.1:" + std::to_string(*peer_port);
  auto etcd_proc = ChildProcess::Start(
      {"etcd", "--name", "brix", "--data-dir", dir.path() + "/etcd", "--listen-client-urls", etcd,
       "--advertise-client-urls", etcd, "--listen-peer-urls", peer, "--initial-advertise-peer-urls",
       peer, "--initial-cluster", "brix=" + peer},
      {}, dir.path() + "/etcd.log");
  ASSERT_TRUE(etcd_proc.ok());
  ASSERT_TRUE(
      brix::PollUntil([&] { return brix::WaitForPort(*etcd_port, std::chrono::milliseconds(100)); },
                      std::chrono::seconds(30)));
  std::string pd = "127.0.0.1:" + std::to_string(*pd_port);
  auto pd_proc =
      ChildProcess::Start({BinDir() + "/kvpd", "--etcd", etcd, "--listen", pd, "--insecure"}, {},
                          dir.path() + "/kvpd.log");
  ASSERT_TRUE(pd_proc.ok());
  ASSERT_TRUE(
      brix::PollUntil([&] { return brix::WaitForPort(*pd_port, std::chrono::milliseconds(100)); },
                      std::chrono::seconds(30)));
  auto node_proc = ChildProcess::Start(
      {BinDir() + "/kvnode", "--pd", pd, "--listen", "127.0.0.1:" + std::to_string(*node_port),
       "--data-dir", dir.path() + "/node", "--insecure"},
      {}, dir.path() + "/kvnode.log");
  ASSERT_TRUE(node_proc.ok());

  net::TlsConfig insecure;
  insecure.insecure = true;
  auto client = PdClient::Connect(pd, std::chrono::seconds(30), &insecure);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  bool registered = brix::PollUntil(
      [&] {
        auto stores = (*client)->GetStores();
        return stores.ok() && stores->size() == 1;
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(registered) << testing::FileContents(dir.path() + "/kvnode.log");
  EXPECT_NE(testing::FileContents(dir.path() + "/kvpd.log").find("PLAINTEXT"), std::string::npos);
  EXPECT_NE(testing::FileContents(dir.path() + "/kvnode.log").find("PLAINTEXT"), std::string::npos);
}

}  // namespace
}  // namespace brix::cluster
