// The seed's troubleshooting path through the real kubectl: `kubectl get pods` and
// `kubectl logs job/<name> [-f]` on the Pods brixd derives from its Jobs (pods.h). The API runs
// alone here: the test plays the job runner, writing the Job's status and log file.
#include <fstream>

#include "common/process.h"
#include "operator/api/job_kind.h"
#include "operator/apiserver/brixd_fixture.h"
#include "operator/apiserver/pods.h"

namespace brix::apiserver {
namespace {

constexpr char kJob[] = "backup-demo1-full-backup-azblob";
const std::string kJobPath = std::string("/apis/batch/v1/namespaces/test1/jobs/") + kJob;

class PodsTest : public BrixdTest {
 protected:
  void SetUp() override {
    BrixdTest::SetUp();
    if (HasFatalFailure()) return;
    std::string job = WriteFile("job.yaml", std::string(R"(apiVersion: batch/v1
kind: Job
metadata:
  name: )") + kJob + R"(
  namespace: test1
spec:
  backoffLimit: 2
  template:
    metadata:
      labels:
        app.kubernetes.io/component: backup
    spec:
      restartPolicy: Never
      containers:
      - name: backup
        image: brix
        command: ["brix", "manager"]
        args: ["backup", "--namespace", "test1", "--name", "demo1-full-backup-azblob"]
)");
    Ok({"apply", "-f", job});
    log_ = dir_.path() + "/state/jobs/test1/" + kJob + ".log";
    std::filesystem::create_directories(dir_.path() + "/state/jobs/test1");
  }

  // What the job runner does when attempt `n` starts.
  void StartAttempt(int n, const std::string& time) {
    std::ofstream(log_, std::ios::app) << api::AttemptHeader(time, n, kJob, "test1", "brix-job");
  }
  void AppendLog(const std::string& text) { std::ofstream(log_, std::ios::app) << text; }
  void SetStatus(const Json& status) {
    Json job = GetJson(kJobPath);
    job["status"] = status;
    auto res = Http()->Put((kJobPath + "/status").c_str(), job.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
  }

  std::string log_;
};

TEST_F(PodsTest, AJobHasOneReadOnlyPodPerAttemptLabelledAsKubernetesLabelsThem) {
  Json job = GetJson(kJobPath);
  const std::string uid = job["metadata"]["uid"];
  EXPECT_EQ(job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"], uid);
  // Not started yet: one Pending pod, whose log kubectl cannot read yet.
  std::string pending = Ok({"get", "pods", "-n", "test1"});
  EXPECT_NE(pending.find("0/1     Pending"), std::string::npos) << pending;
  CommandResult waiting = Kubectl({"logs", std::string("job/") + kJob, "-n", "test1"});
  EXPECT_NE(waiting.exit_code, 0);
  EXPECT_NE(waiting.output.find("is waiting to start: ContainerCreating"), std::string::npos)
      << waiting.output;

  StartAttempt(1, "2026-01-01T00:00:00Z");
  AppendLog("attempt one failed\n");
  StartAttempt(2, "2026-01-01T00:01:00Z");
  AppendLog("uploading\n");
  SetStatus({{"failed", 1}, {"active", 1}, {"startTime", "2026-01-01T00:00:00Z"}});
  std::string pods = Ok({"get", "pods", "-n", "test1"});
  EXPECT_NE(pods.find("NAME"), std::string::npos);
  EXPECT_NE(pods.find("READY   STATUS    RESTARTS   AGE"), std::string::npos) << pods;
  EXPECT_NE(pods.find("0/1     Error"), std::string::npos) << pods;
  EXPECT_NE(pods.find("1/1     Running"), std::string::npos) << pods;
  // kubectl logs job/X follows the Job's selector to its pods.
  Json list = GetJson(
      "/api/v1/namespaces/test1/pods?labelSelector=batch.kubernetes.io%2Fcontroller-uid%3D" + uid);
  ASSERT_EQ(list["items"].size(), 2u) << list.dump();
  const Json& running = list["items"][1];
  EXPECT_EQ(running["metadata"]["labels"]["job-name"], kJob);
  EXPECT_EQ(running["metadata"]["labels"]["app.kubernetes.io/component"], "backup");
  EXPECT_EQ(running["metadata"]["ownerReferences"][0]["uid"], uid);
  EXPECT_EQ(running["status"]["phase"], "Running");
  const std::string second = running["metadata"]["name"];
  EXPECT_EQ(second.rfind(std::string(kJob) + "-", 0), 0u) << second;
  EXPECT_EQ(Ok({"logs", second, "-n", "test1"}), "uploading\n");
  EXPECT_EQ(Ok({"logs", list["items"][0]["metadata"]["name"], "-n", "test1"}),
            "attempt one failed\n");
  // Of two pods kubectl shows the running one, and says so (on stderr), as on Kubernetes.
  EXPECT_EQ(Ok({"logs", std::string("job/") + kJob, "-n", "test1"}),
            "Found 2 pods, using pod/" + second + "\nuploading\n");

  // Followed: what the attempt writes until it ends.
  std::string out = dir_.path() + "/follow.out";
  auto follow = ChildProcess::Start(
      {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir", dir_.path() + "/kube-cache", "logs",
       "-f", std::string("job/") + kJob, "-n", "test1"},
      {}, out);
  ASSERT_TRUE(follow.ok()) << follow.status().ToString();
  ASSERT_TRUE(PollUntil(
      [&] { return testing::FileContents(out).find("uploading") != std::string::npos; }, 10s))
      << testing::FileContents(out);
  AppendLog("backup complete\n");
  ASSERT_TRUE(PollUntil(
      [&] { return testing::FileContents(out).find("backup complete") != std::string::npos; }, 10s))
      << testing::FileContents(out);
  EXPECT_TRUE(follow->Running());  // the attempt still runs
  SetStatus({{"failed", 1},
             {"succeeded", 1},
             {"active", 0},
             {"startTime", "2026-01-01T00:00:00Z"},
             {"completionTime", "2026-01-01T00:02:00Z"},
             {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}});
  ASSERT_TRUE(PollUntil([&] { return !follow->Running(); }, 10s));
  EXPECT_EQ(testing::FileContents(out),
            "Found 2 pods, using pod/" + second + "\nuploading\nbackup complete\n");
  std::string done = Ok({"get", "pods", "-n", "test1", "-o", "wide"});
  EXPECT_NE(done.find("0/1     Completed"), std::string::npos) << done;
  EXPECT_NE(done.find("brixd"), std::string::npos) << done;  // NODE
  EXPECT_EQ(Ok({"logs", second, "-n", "test1", "--tail", "1"}), "backup complete\n");

  // Pods are read-only.
  CommandResult del = Kubectl({"delete", "pods", "--all", "-n", "test1"});
  EXPECT_NE(del.exit_code, 0);
  EXPECT_NE(del.output.find("read-only"), std::string::npos) << del.output;
}

TEST(SplitAttempts, EachAttemptIsTheTextAfterItsHeader) {
  std::string text = "stray\n" + api::AttemptHeader("t1", 1, "j", "n", "sa") + "a\nb\n" +
                     api::AttemptHeader("t2", 2, "j", "n", "sa") + "c";
  auto parts = SplitAttempts(text);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].attempt, 1);
  EXPECT_EQ(parts[0].started, "t1");
  EXPECT_EQ(text.substr(parts[0].begin, parts[0].end - parts[0].begin), "a\nb\n");
  EXPECT_EQ(text.substr(parts[1].begin, parts[1].end - parts[1].begin), "c");
  EXPECT_EQ(TailLines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(TailLines("a\nb", 5), "a\nb");
}

}  // namespace
}  // namespace brix::apiserver
