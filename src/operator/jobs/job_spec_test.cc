// Which Jobs brixd runs, the environment they get and the paths their logs go to, as units.
#include "operator/jobs/job_spec.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "operator/api/job_kind.h"

namespace brix::jobs {
namespace {

Json ManagerJob(const std::string& kind, std::vector<std::string> args) {
  std::vector<std::string> command = {"brix", "manager"};
  return {{"metadata",
           {{"namespace", "test1"},
            {"name", "backup-demo1"},
            {"annotations", {{api::kJobKindAnnotation, kind}}}}},
          {"spec",
           {{"template",
             {{"spec",
               {{"serviceAccountName", "tidb-backup-manager"},
                {"containers", Json::array({{{"name", "backup"},
                                             {"command", command},
                                             {"args", args},
                                             {"env", Json::array()}}})}}}}}}}};
}

TEST(CheckBrixJob, AcceptsEveryEntryPointTheControllersCreate) {
  auto backup =
      CheckBrixJob(ManagerJob("backup", {"backup", "--namespace", "test1", "--name", "demo1"}));
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  EXPECT_EQ(backup->kind, "backup");
  EXPECT_EQ(backup->service_account, "tidb-backup-manager");
  EXPECT_EQ(backup->args, (std::vector<std::string>{"manager", "backup", "--namespace", "test1",
                                                    "--name", "demo1"}));
  for (const char* k : {"restore", "compact", "clean"}) {
    EXPECT_TRUE(CheckBrixJob(ManagerJob(k, {k, "--namespace", "test1", "--name", "x"})).ok()) << k;
  }
  for (const char* k : {"log-start", "log-pause", "log-resume", "log-stop"}) {
    EXPECT_TRUE(CheckBrixJob(ManagerJob(k, {"backup", "--namespace", "test1", "--name", "x",
                                            "--subcommand", k}))
                    .ok())
        << k;
  }
  EXPECT_TRUE(CheckBrixJob(ManagerJob("log-truncate",
                                      {"backup", "--namespace", "test1", "--name", "x",
                                       "--subcommand", "log-truncate", "--truncate-until", "1"}))
                  .ok());
}

TEST(CheckBrixJob, RefusesAJobWithoutTheKindAnnotation) {
  Json job = ManagerJob("backup", {"backup", "--namespace", "test1", "--name", "x"});
  job["metadata"].erase("annotations");
  auto r = CheckBrixJob(job);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("brixd runs only the jobs its controllers create"),
            std::string::npos);
  job["metadata"]["annotations"][api::kJobKindAnnotation] = "shell";
  EXPECT_FALSE(CheckBrixJob(job).ok());
}

TEST(CheckBrixJob, RefusesAnyOtherCommandEvenWithTheAnnotation) {
  Json job = ManagerJob("backup", {});
  auto& c = job["spec"]["template"]["spec"]["containers"][0];
  c["command"] = {"/bin/sh", "-c", "touch /tmp/x"};
  EXPECT_FALSE(CheckBrixJob(job).ok());
  c["command"] = {"brix", "manager"};
  // Extra arguments, another namespace's CR, another entry point, a flag as a value.
  c["args"] = {"backup", "--namespace", "test1", "--name", "x", "--extra"};
  EXPECT_FALSE(CheckBrixJob(job).ok());
  c["args"] = {"backup", "--namespace", "other", "--name", "x"};
  EXPECT_FALSE(CheckBrixJob(job).ok());
  c["args"] = {"restore", "--namespace", "test1", "--name", "x"};
  EXPECT_FALSE(CheckBrixJob(job).ok());
  c["args"] = {"backup", "--namespace", "test1", "--name", "../x"};
  EXPECT_FALSE(CheckBrixJob(job).ok());
  c["command"] = {"brix", "playground", "up"};
  c["args"] = Json::array();
  EXPECT_FALSE(CheckBrixJob(job).ok());
  // A log kind must run its own subcommand.
  Json log = ManagerJob(
      "log-stop", {"backup", "--namespace", "test1", "--name", "x", "--subcommand", "log-start"});
  EXPECT_FALSE(CheckBrixJob(log).ok());
  Json truncate =
      ManagerJob("log-truncate", {"backup", "--namespace", "test1", "--name", "x", "--subcommand",
                                  "log-truncate", "--truncate-until", "--name"});
  EXPECT_FALSE(CheckBrixJob(truncate).ok());
}

TEST(CheckBrixJob, RefusesSecondContainersAndBadShapes) {
  Json job = ManagerJob("backup", {"backup", "--namespace", "test1", "--name", "x"});
  Json two = job;
  two["spec"]["template"]["spec"]["containers"].push_back(
      {{"name", "side"}, {"command", {"/bin/sh"}}});
  EXPECT_FALSE(CheckBrixJob(two).ok());
  Json init = job;
  init["spec"]["template"]["spec"]["initContainers"] = {{{"name", "i"}, {"command", {"sh"}}}};
  EXPECT_FALSE(CheckBrixJob(init).ok());
  Json weird = job;
  weird["spec"] = "not an object";
  EXPECT_FALSE(CheckBrixJob(weird).ok());
  Json no_sa = job;
  no_sa["spec"]["template"]["spec"].erase("serviceAccountName");
  ASSERT_TRUE(CheckBrixJob(no_sa).ok());
  EXPECT_EQ(CheckBrixJob(no_sa)->service_account, api::kDefaultJobServiceAccount);
  Json bad_sa = job;
  bad_sa["spec"]["template"]["spec"]["serviceAccountName"] = "../admin";
  EXPECT_FALSE(CheckBrixJob(bad_sa).ok());
}

TEST(DnsNames, LabelsAndSubdomainsAsKubernetesDefinesThem) {
  EXPECT_TRUE(IsDnsLabel("test1"));
  EXPECT_TRUE(IsDnsLabel("a-b"));
  for (const char* bad : {"", "-a", "a-", "A", "a.b", "..", ".", "a/b", "a_b"}) {
    EXPECT_FALSE(IsDnsLabel(bad)) << bad;
  }
  EXPECT_FALSE(IsDnsLabel(std::string(64, 'a')));
  EXPECT_TRUE(IsDnsSubdomain("backup-demo1.v2"));
  for (const char* bad : {"", ".", "..", "../x", "a..b", ".a", "a.", "a/b", "a b"}) {
    EXPECT_FALSE(IsDnsSubdomain(bad)) << bad;
  }
}

TEST(PathsFor, ABadNamespaceOrNameNeverBecomesAPath) {
  auto ok = PathsFor("/state", "test1", "backup-demo1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->log, "/state/jobs/test1/backup-demo1.log");
  EXPECT_EQ(ok->work_dir, "/state/jobs/test1/backup-demo1.d");
  for (auto [ns, name] :
       std::vector<std::pair<std::string, std::string>>{{"..", "x"},
                                                        {"../..", "x"},
                                                        {"test1", "../../etc/passwd"},
                                                        {"test1", "a/b"},
                                                        {"", "x"},
                                                        {"test1", ""},
                                                        {"test1", ".."},
                                                        {"a/b", "x"}}) {
    EXPECT_FALSE(PathsFor("/state", ns, name).ok()) << ns << " " << name;
  }
}

JobEnvBase Base() {
  JobEnvBase b;
  b.api_server = "https://127.0.0.1:1";
  b.api_ca_file = "/state/api-ca.crt";
  b.token = "sa-token";
  b.home = "/state/jobs/test1/x.d";
  b.fixed = {{"BRIX_TLS_CA_FILE", "/pg/ca.crt"}};
  return b;
}

Json SecretRef(const std::string& env, const std::string& secret, const std::string& key,
               bool optional) {
  return {
      {"name", env},
      {"valueFrom", {{"secretKeyRef", {{"name", secret}, {"key", key}, {"optional", optional}}}}}};
}

TEST(BuildJobEnv, IsBuiltFromNothingButWhatTheJobNeeds) {
  ::setenv("BRIX_CANARY_FROM_BRIXD", "leak", 1);
  Json container = {
      {"env",
       Json::array({{{"name", "BRIX_CLUSTER_PD"}, {"value", "pd:1"}},
                    SecretRef("AZURE_STORAGE_ACCOUNT", "azblob", "AZURE_STORAGE_ACCOUNT", true),
                    SecretRef("AZURE_STORAGE_KEY", "azblob", "AZURE_STORAGE_KEY", true)})}};
  int reads = 0;
  auto secrets = [&](const std::string& name) -> Result<Json> {
    ++reads;
    EXPECT_EQ(name, "azblob");
    return Json{{"data",
                 {{"AZURE_STORAGE_ACCOUNT", Base64Encode("acct")},
                  {"AZURE_STORAGE_KEY", Base64Encode("key")},
                  {"UNREFERENCED", Base64Encode("other")}}}};
  };
  auto env = BuildJobEnv(container, secrets, Base());
  ::unsetenv("BRIX_CANARY_FROM_BRIXD");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(reads, 1);  // one read per Secret
  std::map<std::string, std::string> want = {{"PATH", kJobPath},
                                             {"HOME", "/state/jobs/test1/x.d"},
                                             {"TMPDIR", "/state/jobs/test1/x.d"},
                                             {"BRIX_API_SERVER", "https://127.0.0.1:1"},
                                             {"BRIX_API_CA_FILE", "/state/api-ca.crt"},
                                             {"BRIX_API_TOKEN", "sa-token"},
                                             {"BRIX_TLS_CA_FILE", "/pg/ca.crt"},
                                             {"BRIX_CLUSTER_PD", "pd:1"},
                                             {"AZURE_STORAGE_ACCOUNT", "acct"},
                                             {"AZURE_STORAGE_KEY", "key"}};
  EXPECT_EQ(*env, want);
}

TEST(BuildJobEnv, AContainerCannotSetWhatBrixdSetsNorLoaderVariables) {
  auto none = [](const std::string&) -> Result<Json> { return Status::NotFound("none"); };
  for (const char* name :
       {"BRIX_API_TOKEN", "BRIX_API_SERVER", "BRIX_API_CA_FILE", "PATH", "HOME", "TMPDIR",
        "BRIX_TLS_CA_FILE", "LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH", "not a name", ""}) {
    Json c = {{"env", Json::array({{{"name", name}, {"value", "x"}}})}};
    EXPECT_FALSE(BuildJobEnv(c, none, Base()).ok()) << name;
  }
  Json field = {
      {"env", Json::array({{{"name", "X"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "x"}}}}}}})}};
  EXPECT_FALSE(BuildJobEnv(field, none, Base()).ok());
}

TEST(BuildJobEnv, MissingSecretsAndKeysFailUnlessOptionalAndNeverShowValues) {
  auto none = [](const std::string&) -> Result<Json> { return Status::NotFound("none"); };
  Json optional = {{"env", Json::array({SecretRef("K", "gone", "K", true)})}};
  auto env = BuildJobEnv(optional, none, Base());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->count("K"), 0u);
  Json required = {{"env", Json::array({SecretRef("K", "gone", "K", false)})}};
  EXPECT_TRUE(BuildJobEnv(required, none, Base()).status().IsNotFound());
  auto other_key = [](const std::string&) -> Result<Json> {
    return Json{{"data", {{"OTHER", Base64Encode("s3cr3t")}}}};
  };
  auto missing = BuildJobEnv(required, other_key, Base());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("has no key K"), std::string::npos);
  EXPECT_EQ(missing.status().ToString().find("s3cr3t"), std::string::npos);
}

}  // namespace
}  // namespace brix::jobs
