// The job runner against an in-memory API: it runs only brixd's own jobs, as their
// ServiceAccount, in an environment built from nothing, with private logs, and never signals a
// pid it read from the API. "brix" is a stand-in script that prints its environment and
// arguments, so no cluster is needed.
#include "operator/jobs/job_runner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/encoding.h"
#include "common/process.h"
#include "operator/api/job_kind.h"
#include "operator/client/fake_api_client.h"
#include "testing/temp_dir.h"

namespace brix::jobs {
namespace {

using client::Json;
using namespace std::chrono_literals;

mode_t Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = dir_.path() + "/state";
    fake_brix_ = dir_.path() + "/fake-brix";
    std::ofstream(fake_brix_) << "#!/bin/sh\necho \"ARGS $*\"\nenv\nexit ${FAKE_EXIT:-0}\n";
    ::chmod(fake_brix_.c_str(), 0700);
    options_.state_dir = state_;
    options_.brix_binary = fake_brix_;
    options_.api_server = "https://127.0.0.1:1";
    options_.job_env = {{"BRIX_TLS_CA_FILE", "/pg/ca.crt"}};
    ASSERT_TRUE(api_.Create(client::ServiceAccounts(), "test1",
                            {{"metadata", {{"name", "tidb-backup-manager"}}}})
                    .ok());
    ASSERT_TRUE(api_.Create(client::Secrets(), "test1",
                            {{"metadata", {{"name", "azblob"}}},
                             {"data",
                              {{"AZURE_STORAGE_ACCOUNT", Base64Encode("acct")},
                               {"UNREFERENCED_KEY", Base64Encode("not-for-the-job")}}}})
                    .ok());
  }

  // A Job as the controllers make it (controller/context.cc; its unit test checks the two agree).
  Json BrixJob(const std::string& name) {
    Json env = Json::array(
        {{{"name", "BRIX_CLUSTER_PD"}, {"value", "127.0.0.1:2379"}},
         {{"name", "AZURE_STORAGE_ACCOUNT"},
          {"valueFrom",
           {{"secretKeyRef",
             {{"name", "azblob"}, {"key", "AZURE_STORAGE_ACCOUNT"}, {"optional", true}}}}}}});
    return {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"metadata", {{"name", name}, {"annotations", {{api::kJobKindAnnotation, "backup"}}}}},
            {"spec",
             {{"backoffLimit", 0},
              {"template",
               {{"spec",
                 {{"restartPolicy", "Never"},
                  {"serviceAccountName", "tidb-backup-manager"},
                  {"containers",
                   Json::array({{{"name", "backup"},
                                 {"command", {"brix", "manager"}},
                                 {"args", {"backup", "--namespace", "test1", "--name", "demo1"}},
                                 {"env", env}}})}}}}}}}};
  }

  Json Create(const Json& job) {
    auto r = api_.Create(client::Jobs(), "test1", job);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Json();
  }
  Json GetJob(const std::string& name) {
    auto r = api_.Get(client::Jobs(), "test1", name);
    return r.ok() ? *r : Json();
  }
  static std::string Condition(const Json& job, const std::string& field) {
    for (const auto& c : job.value(Json::json_pointer("/status/conditions"), Json::array())) {
      if (c.value("status", "") == "True") return c.value(field, "");
    }
    return "";
  }
  // Runs passes until the Job has a condition (its end), or 20 s pass.
  Json RunToEnd(JobRunner& runner, const std::string& name) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      runner.SyncOnce();
      Json job = GetJob(name);
      if (!Condition(job, "type").empty()) return job;
      std::this_thread::sleep_for(20ms);  // polling interval, with a deadline
    }
    return GetJob(name);
  }

  testing::TempDir dir_;
  std::string state_, fake_brix_;
  client::FakeApiClient api_;
  JobRunnerOptions options_;
};

TEST_F(JobRunnerTest, AJobWithAnArbitraryCommandIsNeverExecuted) {
  std::string marker = dir_.path() + "/x";
  Json job = BrixJob("evil");
  job["metadata"].erase("annotations");
  job["spec"]["template"]["spec"]["containers"][0]["command"] = {"/bin/sh", "-c",
                                                                 "touch " + marker};
  job["spec"]["template"]["spec"]["containers"][0].erase("args");
  Create(job);
  JobRunner runner(&api_, options_);
  Json done = RunToEnd(runner, "evil");
  EXPECT_EQ(Condition(done, "type"), "Failed");
  EXPECT_EQ(Condition(done, "reason"), kNotABrixJobReason);
  EXPECT_NE(Condition(done, "message").find("brixd runs only the jobs its controllers create"),
            std::string::npos);
  runner.SyncOnce();  // and stays so
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_FALSE(std::filesystem::exists(state_ + "/jobs/test1/evil.log"));
  EXPECT_TRUE(api_.token_requests.empty());  // not even a token is asked for
}

TEST_F(JobRunnerTest, AForgedKindAnnotationDoesNotMakeAnotherCommandRun) {
  std::string marker = dir_.path() + "/x";
  Json job = BrixJob("forged");
  job["spec"]["template"]["spec"]["containers"][0]["command"] = {"/bin/sh", "-c",
                                                                 "touch " + marker};
  Create(job);
  JobRunner runner(&api_, options_);
  Json done = RunToEnd(runner, "forged");
  EXPECT_EQ(Condition(done, "reason"), kNotABrixJobReason);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(JobRunnerTest, AJobGetsOnlyItsOwnEnvironmentAndTokenAndAPrivateLog) {
  ::setenv("BRIX_CANARY_OF_BRIXD", "canary-value", 1);
  Create(BrixJob("backup-demo1"));
  JobRunner runner(&api_, options_);
  Json done = RunToEnd(runner, "backup-demo1");
  ::unsetenv("BRIX_CANARY_OF_BRIXD");
  ASSERT_EQ(Condition(done, "type"), "Complete") << done.dump();
  std::string log_file = state_ + "/jobs/test1/backup-demo1.log";
  EXPECT_EQ(done["metadata"]["annotations"][kLogFileAnnotation], log_file);
  EXPECT_FALSE(done["metadata"]["annotations"].contains("brix.pingcap.com/pid"));
  std::string log = testing::FileContents(log_file);
  EXPECT_NE(log.find("ARGS manager backup --namespace test1 --name demo1"), std::string::npos);
  // brixd's variables are not there (canary, and whatever the test process has).
  EXPECT_EQ(log.find("canary-value"), std::string::npos) << log;
  EXPECT_EQ(log.find("BRIX_CANARY_OF_BRIXD"), std::string::npos);
  EXPECT_EQ(log.find("\nUSER="), std::string::npos);
  // What it needs is there: the SA token (asked for through a TokenRequest), the API, the
  // fixed job env, the container's literal and Secret values, and nothing else of the Secret.
  EXPECT_NE(log.find("BRIX_API_TOKEN=token-of-test1/tidb-backup-manager"), std::string::npos);
  EXPECT_NE(log.find("BRIX_API_SERVER=https://127.0.0.1:1"), std::string::npos);
  EXPECT_NE(log.find("BRIX_TLS_CA_FILE=/pg/ca.crt"), std::string::npos);
  EXPECT_NE(log.find("BRIX_CLUSTER_PD=127.0.0.1:2379"), std::string::npos);
  EXPECT_NE(log.find("AZURE_STORAGE_ACCOUNT=acct"), std::string::npos);
  EXPECT_EQ(log.find("not-for-the-job"), std::string::npos);
  EXPECT_NE(log.find(std::string("PATH=") + kJobPath), std::string::npos);
  ASSERT_EQ(api_.token_requests.size(), 1u);
  EXPECT_EQ(api_.token_requests[0]["kind"], "TokenRequest");
  EXPECT_EQ(api_.token_requests[0]["spec"]["expirationSeconds"], 24 * 3600);
  // Private: the log 0600, its folders 0700; the job's HOME/TMPDIR is gone after the end.
  EXPECT_EQ(Mode(log_file), 0600u);
  EXPECT_EQ(Mode(state_ + "/jobs"), 0700u);
  EXPECT_EQ(Mode(state_ + "/jobs/test1"), 0700u);
  EXPECT_NE(log.find("HOME=" + state_ + "/jobs/test1/backup-demo1.d"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(state_ + "/jobs/test1/backup-demo1.d"));
}

TEST_F(JobRunnerTest, AMissingServiceAccountFailsTheJobWithThatMessage) {
  Json job = BrixJob("backup-demo1");
  job["spec"]["template"]["spec"]["serviceAccountName"] = "nobody";
  Create(job);
  JobRunner runner(&api_, options_);
  Json done = RunToEnd(runner, "backup-demo1");
  EXPECT_EQ(Condition(done, "type"), "Failed");
  std::string message = Condition(done, "message");
  EXPECT_NE(message.find("serviceaccount test1/nobody"), std::string::npos) << message;
  EXPECT_NE(message.find("not found"), std::string::npos) << message;
  EXPECT_EQ(testing::FileContents(state_ + "/jobs/test1/backup-demo1.log"), "");  // never started
}

TEST_F(JobRunnerTest, AFailedJobCarriesItsLastLogLine) {
  options_.job_env["FAKE_EXIT"] = "3";
  Create(BrixJob("backup-demo1"));
  JobRunner runner(&api_, options_);
  Json done = RunToEnd(runner, "backup-demo1");
  EXPECT_EQ(Condition(done, "type"), "Failed");
  EXPECT_NE(Condition(done, "message").find("exit code 3"), std::string::npos);
}

TEST_F(JobRunnerTest, AnActiveJobAfterARestartIsLostAndNoAnnotatedPidIsSignalled) {
  // A process that looks like a manager; the old runner would have killed the annotated pid.
  auto victim = ChildProcess::Start({"/bin/sh", "-c", "sleep 60; true", "manager"}, {},
                                    dir_.path() + "/victim.log");
  ASSERT_TRUE(victim.ok());
  Json job = BrixJob("backup-demo1");
  job["metadata"]["annotations"]["brix.pingcap.com/pid"] = std::to_string(victim->pid());
  job["spec"]["backoffLimit"] = 1;
  Json created = Create(job);
  created["status"] = {{"active", 1}};
  ASSERT_TRUE(api_.UpdateStatus(client::Jobs(), created).ok());
  JobRunner runner(&api_, options_);
  runner.SyncOnce();
  EXPECT_TRUE(victim->Running());
  Json after = GetJob("backup-demo1");
  EXPECT_EQ(after["status"]["failed"], 1);
  EXPECT_NE(after["status"].value("lastFailure", "").find("process lost"), std::string::npos);
}

TEST_F(JobRunnerTest, AJobInABadNamespaceNeverBecomesAPath) {
  Json job = BrixJob("x");
  job["spec"]["template"]["spec"]["containers"][0]["args"] = {"backup", "--namespace", "..",
                                                              "--name", "demo1"};
  ASSERT_TRUE(api_.Create(client::Jobs(), "..", job).ok());  // the fake takes any namespace
  JobRunner runner(&api_, options_);
  runner.SyncOnce();
  auto stored = api_.Get(client::Jobs(), "..", "x");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(Condition(*stored, "reason"), kNotABrixJobReason);
  EXPECT_FALSE(std::filesystem::exists(state_ + "/x.log"));
  EXPECT_FALSE(std::filesystem::exists(state_ + "/jobs"));
}

}  // namespace
}  // namespace brix::jobs
