// Forwarded storage credentials of a log task (cluster/log_task_credentials.h): sealed at rest in
// etcd, absent from every read reply, still used by the nodes, rotated without restarting the
// task; and names from RPCs that become paths on a node are refused when they could leave it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "br/log/log_test_fixture.h"
#include "br/proto/backup.grpc.pb.h"
#include "br/sst.h"
#include "cluster/client/log_task_client.h"
#include "cluster/mvcc.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/net_util.h"
#include "etcd/etcd_client.h"
#include "storage/azure/sas.h"
#include "testing/azurite.h"
#include "testing/temp_dir.h"

namespace brix::br {
namespace {

namespace fs = std::filesystem;

// Every form a secret could leak in: as given, and (account keys) its decoded bytes.
std::vector<std::string> Forms(const std::string& secret) {
  std::vector<std::string> forms = {secret};
  auto raw = Base64Decode(secret);
  if (raw && raw->size() >= 16) forms.push_back(*raw);
  return forms;
}

::testing::AssertionResult HoldsNone(const std::string& where, const std::string& bytes,
                                     const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    for (const auto& f : Forms(s)) {
      if (bytes.find(f) != std::string::npos) {
        return ::testing::AssertionFailure() << where << " holds a credential";
      }
    }
  }
  return ::testing::AssertionSuccess();
}

class LogCredentialsTest : public LogBackupTest {
 protected:
  cluster::LogTaskGetResponse RawGet(const std::string& name, bool sealed) {
    auto resp = cluster::LogTaskClient(source_->pd()).Get(name, sealed);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    return resp.ok() ? *resp : cluster::LogTaskGetResponse();
  }

  // Every key and value in the source cluster's etcd.
  std::string EtcdDump() {
    auto etcd = etcd::EtcdClient::Connect(source_->etcd_endpoint());
    EXPECT_TRUE(etcd.ok());
    auto all = (*etcd)->GetPrefix("");
    EXPECT_TRUE(all.ok());
    std::string out;
    for (const auto& kv : all->kvs) out += kv.key + "\n" + kv.value + "\n";
    EXPECT_NE(out.find("/brix/pd/logtask/"), std::string::npos);
    return out;
  }

  // Every file the source cluster's processes wrote (logs, data, etcd).
  std::string EverythingOnDisk() {
    std::string out;
    for (const auto& e : fs::recursive_directory_iterator(source_->dir())) {
      if (e.is_regular_file()) out += testing::FileContents(e.path().string());
    }
    return out;
  }
};

TEST_F(LogCredentialsTest, ForwardedAccountKeyIsSealedInEtcdAbsentFromRepliesAndStillUploads) {
  auto azurite = testing::AzuriteServer::Start();
  ASSERT_TRUE(azurite.ok());
  env_ = MapEnv((*azurite)->SharedKeyEnv());
  const std::string log_url = "azure://logs/sealed", full_url = "azure://logs/full";
  ASSERT_TRUE(StartLogTask(LogTo("sealed", log_url)).ok());
  uint64_t snapshot = FullBackup(full_url);
  StartWorkload(4, Seed());
  JoinWorkload();
  uint64_t end = Now();
  WaitCheckpoint("sealed", log_url, end);

  const std::vector<std::string> secrets = {testing::kAzuriteKey, (*azurite)->connection_string()};
  auto plain = RawGet("sealed", false);
  ASSERT_TRUE(plain.found());
  EXPECT_TRUE(HoldsNone("LogTaskGet reply", plain.SerializeAsString(), secrets));
  EXPECT_TRUE(plain.sealed_credentials().empty());
  auto sealed = RawGet("sealed", true);
  EXPECT_FALSE(sealed.sealed_credentials().empty());
  EXPECT_TRUE(
      HoldsNone("LogTaskGet reply with the sealed blob", sealed.SerializeAsString(), secrets));
  LogTask task;
  ASSERT_TRUE(task.ParseFromString(plain.definition()));
  EXPECT_TRUE(task.storage().env().empty());
  auto status = GetLogTaskStatus(source_->pd_addresses(), "sealed");
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(HoldsNone("log status", status->storage + status->name, secrets));
  EXPECT_TRUE(HoldsNone("etcd", EtcdDump(), secrets));
  EXPECT_TRUE(HoldsNone("the cluster's files", EverythingOnDisk(), secrets));

  ExpectExactPitr(log_url, full_url, end);
  ExpectExactPitr(log_url, full_url, snapshot + (end - snapshot) / 2);

  // A stopped task uploads nothing more: its sealed credentials are gone too.
  ASSERT_TRUE(StopLogTask(source_->pd_addresses(), "sealed").ok());
  EXPECT_TRUE(RawGet("sealed", true).sealed_credentials().empty());
  EXPECT_EQ(EtcdDump().find("/sealed/cred"), std::string::npos);
}

TEST_F(LogCredentialsTest, UpdateCredentialsReplacesAnExpiredSasAtTheNextFlush) {
  auto azurite = testing::AzuriteServer::Start();
  ASSERT_TRUE(azurite.ok());
  env_ = MapEnv((*azurite)->SharedKeyEnv());  // this test's own backups and PITR
  auto sas_env = [&](std::chrono::seconds valid) {
    storage::azure::AccountSasOptions o;
    o.expiry = std::chrono::system_clock::now() + valid;
    auto sas =
        storage::azure::GenerateAccountSas(testing::kAzuriteAccount, testing::kAzuriteKey, o);
    EXPECT_TRUE(sas.ok());
    return std::map<std::string, std::string>{
        {"AZURE_STORAGE_ACCOUNT", testing::kAzuriteAccount},
        {"AZURE_STORAGE_SAS_TOKEN", *sas},
        {"AZURE_STORAGE_CONNECTION_STRING", "BlobEndpoint=" + (*azurite)->endpoint() + ";"}};
  };
  const std::string log_url = "azure://logs/rotate", full_url = "azure://logs/full";
  auto expiring = sas_env(std::chrono::seconds(6));
  // The first SAS comes in the URL (as the Backup controller passes spec.azblob.sasToken): it
  // must leave the definition too.
  LogStartOptions start =
      LogTo("rotate", log_url + "?sas-token=" + PercentEncode(expiring["AZURE_STORAGE_SAS_TOKEN"]));
  auto endpoint_only = expiring;
  endpoint_only.erase("AZURE_STORAGE_SAS_TOKEN");
  start.env = MapEnv(endpoint_only);
  ASSERT_TRUE(StartLogTask(start).ok());
  uint64_t snapshot = FullBackup(full_url);
  const int64_t created = RawGet("rotate", false).create_revision();
  StartWorkload(14, Seed());  // writes to upload after the SAS expired

  // The SAS expires: the flushes of the stores with writes fail and say so.
  bool failing = brix::PollUntil(
      [&] {
        auto st = GetLogTaskStatus(source_->pd_addresses(), "rotate");
        return st.ok() && st->state == "error" && !st->store_errors.empty();
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(failing) << "flushes with an expired SAS did not fail";

  // Credentials that cannot read the location are refused; nothing changes.
  LogCredentialsOptions bad;
  bad.pd = source_->pd_addresses();
  bad.task_name = "rotate";
  bad.env = MapEnv(expiring);
  EXPECT_FALSE(UpdateLogTaskCredentials(bad).ok());

  auto fresh = sas_env(std::chrono::hours(1));
  LogCredentialsOptions rotate = bad;
  rotate.env = MapEnv(fresh);
  Status s = UpdateLogTaskCredentials(rotate);
  JoinWorkload();
  ASSERT_TRUE(s.ok()) << s.ToString();
  uint64_t end = Now();
  WaitCheckpoint("rotate", log_url, end);
  auto st = GetLogTaskStatus(source_->pd_addresses(), "rotate");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, "running");
  EXPECT_EQ(RawGet("rotate", false).create_revision(), created) << "the task was re-created";
  EXPECT_TRUE(HoldsNone("etcd", EtcdDump(),
                        {expiring["AZURE_STORAGE_SAS_TOKEN"], fresh["AZURE_STORAGE_SAS_TOKEN"]}));
  EXPECT_TRUE(HoldsNone("LogTaskGet reply", RawGet("rotate", true).SerializeAsString(),
                        {fresh["AZURE_STORAGE_SAS_TOKEN"]}));
  ExpectExactPitr(log_url, full_url, end);
  ExpectExactPitr(log_url, full_url, snapshot + (end - snapshot) / 2);
}

// A cluster of one node, with or without credential keys.
std::unique_ptr<testing::ClusterHarness> SmallCluster(bool pd_key, bool node_key) {
  testing::ClusterOptions o;
  o.nodes = 1;
  o.node_args = {"--log-flush-interval-ms", "300"};
  o.pd_credential_key = pd_key;
  o.node_credential_key = node_key;
  auto c = testing::ClusterHarness::Start(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(LogCredentialsKeys, KvpdWithoutAKeyRefusesCredentialsAndANodeWithoutOneSaysWhy) {
  testing::TempDir dir;
  auto env = MapEnv({{"AZURE_STORAGE_KEY", "not-a-real-key"}});
  auto no_key = SmallCluster(false, false);
  ASSERT_NE(no_key, nullptr);
  LogStartOptions o;
  o.pd = no_key->pd_addresses();
  o.task_name = "refused";
  o.storage_url = "local://" + dir.path() + "/refused";
  o.env = env;
  auto refused = StartLogTask(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--credential-key-file"), std::string::npos)
      << refused.status().ToString();
  // Nothing was left behind: the same location takes a task that forwards nothing (fine
  // without a key).
  o.send_credentials = false;
  o.task_name = "own-env";
  auto own = StartLogTask(o);
  EXPECT_TRUE(own.ok()) << own.status().ToString();

  auto node_without = SmallCluster(true, false);
  ASSERT_NE(node_without, nullptr);
  o.pd = node_without->pd_addresses();
  o.send_credentials = true;
  o.task_name = "unopenable";
  o.storage_url = "local://" + dir.path() + "/unopenable";
  ASSERT_TRUE(StartLogTask(o).ok());
  std::string why;
  bool reported = brix::PollUntil(
      [&] {
        auto st = GetLogTaskStatus(node_without->pd_addresses(), "unopenable");
        if (!st.ok() || st->store_errors.empty()) return false;
        why = st->store_errors.begin()->second;
        return true;
      },
      std::chrono::seconds(30));
  ASSERT_TRUE(reported);
  EXPECT_NE(why.find("--credential-key-file"), std::string::npos) << why;
  EXPECT_EQ(why.find("not-a-real-key"), std::string::npos) << why;
}

TEST(LogCredentialsKeys, KvpdRefusesTaskNamesThatAreNotAPathComponent) {
  auto c = SmallCluster(true, true);
  ASSERT_NE(c, nullptr);
  for (const char* name : {"..", "a/b", "../../etc", ""}) {
    Status s = cluster::LogTaskClient(c->pd()).Create(name, "x");
    EXPECT_TRUE(s.IsInvalidArgument()) << name << ": " << s.ToString();
  }
}

// The node's import folder is <data>/work/import; a uuid climbing out of it must not write,
// rename or ingest anything outside.
TEST(NodePathNames, DownloadAndIngestRefuseTraversalUuids) {
  auto c = SmallCluster(true, true);
  ASSERT_NE(c, nullptr);
  auto stores = c->pd().GetStores();
  ASSERT_TRUE(stores.ok() && stores->size() == 1);
  auto channel = grpc::CreateChannel((*stores)[0].address(), c->pd().channel_credentials());
  auto stub = NodeBackup::NewStub(channel);

  // A genuine backup file, so the old code would stage it (by renaming) at the traversal path.
  const std::string storage_dir = c->dir() + "/storage";
  fs::create_directories(storage_dir);
  auto writer = SstWriter::Create(storage_dir + "/f.sst", "lz4");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)
                  ->Add(cluster::EncodeMvccKey("k", 5),
                        cluster::EncodeMvccValue(cluster::MvccOp::kPut, "v"))
                  .ok());
  auto size = (*writer)->Finish();
  ASSERT_TRUE(size.ok());
  std::string bytes = testing::FileContents(storage_dir + "/f.sst");
  DownloadRequest req;
  req.mutable_storage()->set_url("local://" + storage_dir);
  auto* f = req.add_files();
  f->set_name("f.sst");
  f->set_size(bytes.size());
  f->set_sha256(Sha256(bytes));
  f->set_total_kvs(1);
  f->set_end_key(std::string("k\0", 2));
  f->set_start_key("k");
  f->set_end_version(5);
  const std::string outside = c->dir() + "/outside";  // <data>/work/import/../../../outside
  fs::create_directories(outside);
  for (const char* uuid : {"../../etc/x", "../../../outside/x", "/abs", ""}) {
    req.set_uuid(uuid);
    DownloadResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub->Download(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << uuid;
    EXPECT_NE(s.error_message().find("uuid"), std::string::npos) << s.error_message();
  }
  EXPECT_TRUE(fs::is_empty(outside));

  // An SST outside the node's folder must not be ingested through a climbing uuid.
  fs::copy_file(storage_dir + "/f.sst", outside + "/y.sst");
  IngestRequest ingest;
  ingest.add_uuids("../../../outside/y");
  IngestResponse iresp;
  grpc::ClientContext ictx;
  grpc::Status is = stub->Ingest(&ictx, ingest, &iresp);
  EXPECT_EQ(is.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(is.error_message().find("uuids"), std::string::npos) << is.error_message();
  EXPECT_TRUE(fs::exists(outside + "/y.sst"));
  EXPECT_FALSE(fs::exists(c->dir() + "/etc"));
}

}  // namespace
}  // namespace brix::br
