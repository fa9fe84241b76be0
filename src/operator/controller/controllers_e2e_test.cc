// The seed's story through the real kubectl against a real playground (etcd, kvpd, kvnodes,
// Azurite, brixd with its controllers and job runner; a second, empty cluster as the restore
// target), with the seed's YAML as written and data checked against kvctl's oracle.
#include "operator/controller/controllers_e2e.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/net_util.h"
#include "common/process.h"
#include "testing/prometheus.h"
#include "testing/temp_dir.h"

namespace brix {
namespace {

// The br and azblob blocks of the seed's log backup and its compactions (two-space indent, under
// spec), with the Secret and prefix given.
std::string LogStorageYaml(const std::string& prefix, const std::string& secret = "azblob-secret") {
  return "  br:\n    cluster: demo1\n    sendCredToTikv: true\n  azblob:\n    secretName: " +
         secret + "\n    container: my-container\n    prefix: " + prefix + "\n";
}

// The seed's log backup with `logSubcommand` and, when set, `logTruncateUntil`.
std::string LogBackupYaml(const std::string& subcommand, const std::string& truncate_until,
                          const std::string& prefix = "my-log-backup-folder") {
  std::string yaml = R"(apiVersion: br.pingcap.com/v1alpha1
kind: Backup
metadata:
  name: demo1-log-backup-azblob
  namespace: test1
spec:
  backupMode: log
  logSubcommand: )" + subcommand +
                     "\n" + LogStorageYaml(prefix);
  if (!truncate_until.empty()) yaml += "  logTruncateUntil: \"" + truncate_until + "\"\n";
  return yaml;
}

// The snapshot story with the controllers inside brixd (Embedded) and as `brix operator`, a
// process of its own against brixd over HTTPS with a ServiceAccount token (ExternalOperator).
class SnapshotStoryTest : public ControllersTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    external_operator_ = GetParam();
    ControllersTest::SetUp();
  }
  // External: a second operator waits for the Lease; the leader is killed with SIGKILL; the
  // standby takes over once the Lease expired and a Backup applied after the kill completes.
  void StandbyTakesOverFromAKilledLeader();
};

// Ad-hoc full backup with the seed's YAML, restore into demo2 equal to the oracle, the table
// example with the AD secret and sendCredToTikv false, and both clean policies.
TEST_P(SnapshotStoryTest, SnapshotBackupRestoreAndCleanPolicies) {
  std::string oracle = dir_.path() + "/oracle";
  auto load = Kvctl({"workload", "--tables", "db1.table1,db1.table2", "--duration", "2s", "--seed",
                     "5", "--oracle", oracle});
  ASSERT_EQ(load.exit_code, 0) << load.output;

  auto applied = Kubectl({"apply", "-f", kSeed + "full-backup-azblob.yaml"});
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  ASSERT_EQ(WaitFor("backup", "demo1-full-backup-azblob", "phase", {"Complete", "Failed"}),
            "Complete")
      << Kubectl({"describe", "backup", "-n", "test1"}).output;
  auto wide = Kubectl({"get", "backup", "-n", "test1", "-o", "wide"});
  std::string commit_ts = Field("backup", "demo1-full-backup-azblob", "commitTs");
  EXPECT_NE(wide.output.find("azure://my-container/my-full-backup-folder/"), std::string::npos)
      << wide.output;
  EXPECT_NE(wide.output.find(commit_ts), std::string::npos) << wide.output;
  EXPECT_NE(wide.output.find("Complete"), std::string::npos) << wide.output;
  auto jobs = Kubectl({"get", "jobs", "-n", "test1"});
  EXPECT_NE(jobs.output.find("backup-demo1-full-backup-azblob   Complete   1/1"), std::string::npos)
      << jobs.output;
  auto describe = Kubectl({"describe", "backup", "demo1-full-backup-azblob", "-n", "test1"});
  EXPECT_NE(describe.output.find("Scheduled"), std::string::npos) << describe.output;
  EXPECT_NE(describe.output.find("brix-controller"), std::string::npos) << describe.output;
  // The account key reaches the job as environment only.
  std::string key = env_["AZURE_STORAGE_KEY"];
  EXPECT_EQ(Kubectl({"get", "job", "backup-demo1-full-backup-azblob", "-n", "test1", "-o", "yaml"})
                .output.find(key),
            std::string::npos);
  EXPECT_EQ(testing::FileContents(pg_ + "/brixd/jobs/test1/backup-demo1-full-backup-azblob.log")
                .find(key),
            std::string::npos);
  EXPECT_EQ(describe.output.find(key), std::string::npos);
  // The seed's troubleshooting path: the job's pod, and its log as the job wrote it.
  auto pods = Kubectl({"get", "pods", "-n", "test1"});
  EXPECT_NE(pods.output.find("backup-demo1-full-backup-azblob-"), std::string::npos) << pods.output;
  EXPECT_NE(pods.output.find("Completed"), std::string::npos) << pods.output;
  std::string job_log =
      testing::FileContents(pg_ + "/brixd/jobs/test1/backup-demo1-full-backup-azblob.log");
  auto logs = Kubectl({"logs", "job/backup-demo1-full-backup-azblob", "-n", "test1"});
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_EQ(logs.output, job_log.substr(job_log.find('\n') + 1));  // without the runner's header

  // Restore into the empty second cluster in its own namespace, as the restore document does:
  // equal to the oracle at the backup's ts.
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: Restore
metadata:
  name: demo2-restore-azblob
  namespace: test2
spec:
  br:
    cluster: demo2
    clusterNamespace: test2
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: my-full-backup-folder
)")
                .exit_code,
            0);
  std::string phase;
  brix::PollUntil(
      [&] {
        phase = Kubectl({"get", "restore", "demo2-restore-azblob", "-n", "test2", "-o",
                         "jsonpath={.status.phase}"})
                    .output;
        return phase == "Complete" || phase == "Failed";
      },
      60s, 200ms);
  ASSERT_EQ(phase, "Complete") << Kubectl({"describe", "restore", "-n", "test2"}).output;
  auto expected = Kvctl({"oracle-checksum", "--oracle", oracle, "--ts", commit_ts});
  auto restored = Kvctl({"checksum"}, env_["BRIX_PD_DEMO2"]);
  ASSERT_EQ(expected.exit_code, 0) << expected.output;
  EXPECT_FALSE(Total(expected.output).empty());
  EXPECT_EQ(Total(restored.output), Total(expected.output)) << restored.output;
  EXPECT_EQ(Kubectl({"get", "restore", "demo2-restore-azblob", "-n", "test2", "-o",
                     "jsonpath={.status.commitTs}"})
                .output,
            commit_ts);

  // The single-table example as written: AD secret name, credentials not sent to the nodes, run
  // as the seed's ServiceAccount with the seed's Role (the step before it in the seed).
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "rbac.yaml", "-n", "test1"}).exit_code, 0);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "backup-single-table.yaml"}).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "demo1-backup-azblob", "phase", {"Complete", "Failed"}), "Complete")
      << Kubectl({"describe", "backup", "demo1-backup-azblob", "-n", "test1"}).output;

  // Retain (the default) keeps the data; Delete removes it.
  ASSERT_GT(ObjectsUnder("my-full-backup-folder"), 0);
  ASSERT_EQ(Kubectl({"delete", "backup", "demo1-full-backup-azblob", "-n", "test1"}).exit_code, 0);
  EXPECT_GT(ObjectsUnder("my-full-backup-folder"), 0);
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: Backup
metadata:
  name: demo1-delete-me
  namespace: test1
spec:
  backupType: full
  cleanPolicy: Delete
  verify: deep
  br:
    cluster: demo1
    logLevel: info
  env:
  - name: TZ
    value: UTC
  tolerations:
  - key: dedicated
    operator: Exists
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: delete-me
)")
                .exit_code,
            0);
  ASSERT_EQ(WaitFor("backup", "demo1-delete-me", "phase", {"Complete", "Failed"}), "Complete")
      << Get("backup", "demo1-delete-me")["status"].dump(2);
  EXPECT_GT(ObjectsUnder("delete-me"), 0);
  // spec.verify: deep ran brix validate --deep on it after the backup (docs/validate.md).
  Json verification = Get("backup", "demo1-delete-me")["status"]["verification"];
  EXPECT_EQ(verification.value("result", ""), "Passed") << verification.dump();
  EXPECT_GT(verification.value("checkedFiles", 0), 0) << verification.dump();
  // Its pod fields: env and logLevel honoured, tolerations carried and named in an Event.
  Json job = Json::parse(
      Kubectl({"get", "job", "backup-demo1-delete-me", "-n", "test1", "-o", "json"}).output,
      nullptr, false);
  ASSERT_TRUE(job.is_object());
  const Json& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["tolerations"][0]["key"], "dedicated") << pod.dump();
  EXPECT_NE(pod["containers"][0]["env"].dump().find(R"({"name":"TZ","value":"UTC"})"),
            std::string::npos)
      << pod.dump();
  EXPECT_NE(
      testing::FileContents(pg_ + "/brixd/jobs/test1/backup-demo1-delete-me.log").find("[info]"),
      std::string::npos);
  EXPECT_EQ(job_log.find("[info]"), std::string::npos);  // the default level is warn
  auto events = Kubectl({"describe", "backup", "demo1-delete-me", "-n", "test1"});
  EXPECT_NE(events.output.find("KubernetesOnlyFields"), std::string::npos) << events.output;
  EXPECT_NE(events.output.find("spec.tolerations"), std::string::npos) << events.output;
  auto deleted = Kubectl({"delete", "backup", "demo1-delete-me", "-n", "test1", "--timeout=60s"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_EQ(ObjectsUnder("delete-me"), 0);
  // Its jobs went with it.
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        return Kubectl({"get", "jobs", "-n", "test1"}).output.find("demo1-delete-me") ==
               std::string::npos;
      },
      10s, 200ms));
  if (GetParam()) StandbyTakesOverFromAKilledLeader();
}

void SnapshotStoryTest::StandbyTakesOverFromAKilledLeader() {
  Json leader = Process("operator");
  ASSERT_TRUE(leader.is_object());
  EXPECT_NE(Kubectl({"get", "lease", "brix-operator", "-n", "brix-system"}).output.find("brix-"),
            std::string::npos);
  EXPECT_NE(testing::FileContents(pg_ + "/logs/brixd.log").find("controllers are external"),
            std::string::npos);
  std::string standby_log = dir_.path() + "/standby-operator.log";
  auto standby =
      ChildProcess::Start(leader["argv"].get<std::vector<std::string>>(),
                          leader["env"].get<std::map<std::string, std::string>>(), standby_log);
  ASSERT_TRUE(standby.ok()) << standby.status().ToString();
  ASSERT_TRUE(brix::PollUntil(
      [&] {
        return testing::FileContents(standby_log).find("wants the lease") != std::string::npos;
      },
      10s, 100ms));
  ASSERT_EQ(::kill(leader["pid"].get<pid_t>(), SIGKILL), 0);
  auto killed = std::chrono::steady_clock::now();
  ASSERT_EQ(Apply(FullBackupYaml("after-kill", "after-kill")).exit_code, 0);
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        return testing::FileContents(standby_log).find("acquired the lease") != std::string::npos;
      },
      30s, 100ms))
      << testing::FileContents(standby_log);
  auto took_over = std::chrono::steady_clock::now() - killed;
  // client-go's lease (15 s) plus one retry period (2 s) and a margin.
  EXPECT_LT(took_over, 20s);
  EXPECT_EQ(WaitFor("backup", "after-kill", "phase", {"Complete", "Failed"}, 90s), "Complete")
      << Kubectl({"describe", "backup", "after-kill", "-n", "test1"}).output;
  std::cout << "standby took the lease "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took_over).count()
            << " ms after the leader's SIGKILL\n";
}

INSTANTIATE_TEST_SUITE_P(Controllers, SnapshotStoryTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ExternalOperator" : "Embedded";
                         });

// Log backup with the seed's YAML: start (Running, a moving checkpoint), a full backup and a
// workload, PITR into demo2 equal to the oracle, pause, resume, stop, a refused restart, and
// truncation.
// The real Prometheus scrapes kvpd, the kvnodes and brixd of the playground (docs/metrics.md)
// while the log backup runs, and its API answers the RPO query with a plausible lag.
void ScrapeWithPrometheus(std::map<std::string, std::string> env, const std::string& playground) {
  if (!brix::testing::PrometheusServer::Available()) {
    std::cout << "[ SKIPPED  ] Prometheus part: `prometheus` not installed (scripts/setup)\n";
    return;
  }
  auto quoted = [](const std::string& comma_list) {
    std::string out;
    std::stringstream in(comma_list);
    for (std::string a; std::getline(in, a, ',');) out += (out.empty() ? "\"" : ", \"") + a + "\"";
    return out;
  };
  std::string brixd = env.at("BRIX_BRIXD_METRICS");  // https://127.0.0.1:PORT/metrics
  std::string brixd_target = brixd.substr(8, brixd.find("/metrics") - 8);
  std::string config =
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      "scrape_configs:\n"
      "  - job_name: kvpd\n    static_configs:\n      - targets: [" +
      quoted(env.at("BRIX_KVPD_STATUS")) +
      "]\n"
      "  - job_name: kvnode\n    static_configs:\n      - targets: [" +
      quoted(env.at("BRIX_KVNODE_STATUS")) +
      "]\n"
      "  - job_name: brixd\n    scheme: https\n"
      "    tls_config:\n      ca_file: " +
      playground + "/brixd/tls.crt\n" +
      "    authorization:\n      credentials_file: " + playground + "/brixd/token\n" +
      "    static_configs:\n      - targets: [\"" + brixd_target + "\"]\n";
  const auto started = std::chrono::steady_clock::now();
  std::string dir = playground + "/prometheus";
  std::filesystem::create_directories(dir);
  auto prometheus = brix::testing::PrometheusServer::Start(dir, config);
  ASSERT_TRUE(prometheus.ok()) << prometheus.status().ToString();
  Json lag;
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        auto r = (*prometheus)->Query("brix_log_checkpoint_lag_seconds");
        if (!r.ok() || r->empty()) return false;
        lag = *r;
        return true;
      },
      30s, 500ms))
      << (*prometheus)->Targets();
  ASSERT_FALSE(lag.empty());
  ASSERT_EQ(lag.size(), 1u) << lag.dump();
  EXPECT_EQ(lag[0]["metric"].value("job", ""), "kvpd");
  const double seconds = std::stod(lag[0]["value"][1].get<std::string>());
  // The flush interval is 1 s: the RPO is a few seconds, never negative.
  EXPECT_GE(seconds, 0);
  EXPECT_LT(seconds, 60) << lag.dump();
  std::cout << "Prometheus: RPO " << seconds << " s, first answered after "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s\n";
  // Every target is up (brixd with its TLS and token), and brixd reports the log backup's phase.
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        auto up = (*prometheus)->Query("min(up{job=~\"kvpd|kvnode|brixd\"})");
        auto running =
            (*prometheus)
                ->Query(
                    "brix_resource_phase{kind=\"Backup\",name=\"demo1-log-backup-azblob\","
                    "phase=\"Running\"}");
        return up.ok() && up->size() == 1 && (*up)[0]["value"][1] == "1" && running.ok() &&
               running->size() == 1;
      },
      30s, 500ms))
      << (*prometheus)->Targets();
}

TEST_F(ControllersTest, LogBackupPitrAndLifecycle) {
  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "300"}).exit_code, 0);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-azblob.yaml"}).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Running", "Failed"}), "Running")
      << Kubectl({"describe", "backup", "-n", "test1"}).output;
  // Running is set when the log-start job begins; commitTs and the job's completion follow.
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        return !Field("backup", "demo1-log-backup-azblob", "commitTs").empty() &&
               Kubectl({"get", "jobs", "-n", "test1"})
                       .output.find("backup-demo1-log-backup-azblob-log-start   Complete   1/1") !=
                   std::string::npos;
      },
      60s, 200ms))
      << Kubectl({"describe", "backup", "-n", "test1"}).output;
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "full-backup-azblob.yaml"}).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "demo1-full-backup-azblob", "phase", {"Complete", "Failed"}),
            "Complete");
  // A restore into demo1, whose log backup runs, would not be logged: refused, naming the task.
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: Restore
metadata:
  name: demo1-restore-under-log-backup
  namespace: test1
spec:
  br:
    cluster: demo1
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: my-full-backup-folder
)")
                .exit_code,
            0);
  EXPECT_EQ(
      WaitFor("restore", "demo1-restore-under-log-backup", "phase", {"Complete", "Failed"}, 90s),
      "Failed");
  auto refused = Kubectl({"describe", "restore", "demo1-restore-under-log-backup", "-n", "test1"});
  EXPECT_NE(refused.output.find("log backup task"), std::string::npos) << refused.output;
  std::string oracle = dir_.path() + "/oracle";
  auto workload = Kvctl({"workload", "--tables", "db1.table1", "--duration", "2s", "--seed", "9",
                         "--oracle", oracle});
  ASSERT_EQ(workload.exit_code, 0) << workload.output;
  auto tso = Kvctl({"tso"});
  ASSERT_EQ(tso.exit_code, 0);
  uint64_t target = std::stoull(tso.output);
  // The checkpoint moves past the workload (kvnodes flush every second here).
  EXPECT_TRUE(CheckpointReaches("demo1-log-backup-azblob", target))
      << Field("backup", "demo1-log-backup-azblob", "logCheckpointTs");
  EXPECT_NE(Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"})
                .output.find("Log Checkpoint Ts"),
            std::string::npos);

  // A full disk under the log buffer: the CR shows each failing store's error (and a Warning
  // event), the checkpoint holds below the fault, and both clear once the disk has room.
  auto before_fault = Kvctl({"tso"});
  ASSERT_EQ(before_fault.exit_code, 0);
  const uint64_t fault_ts = std::stoull(before_fault.output);
  std::ofstream(buffer_fault_file()) << "disk full";
  std::string flush_error, held;
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        Json b = Get("backup", "demo1-log-backup-azblob");
        if (!b.is_object() || !b["status"].contains("logFlushError")) return false;
        flush_error = b["status"]["logFlushError"].get<std::string>();
        held = b["status"].value("logCheckpointTs", "");
        return true;
      },
      60s, 500ms))
      << Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;
  EXPECT_NE(flush_error.find("log backup buffer"), std::string::npos) << flush_error;
  EXPECT_NE(flush_error.find("No space left on device"), std::string::npos) << flush_error;
  ASSERT_FALSE(held.empty());
  EXPECT_LT(std::stoull(held), fault_ts) << "the checkpoint passed writes the buffer lost";
  EXPECT_NE(Kubectl({"get", "events", "-n", "test1"}).output.find("LogFlushFailed"),
            std::string::npos);
  std::filesystem::remove(buffer_fault_file());
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        Json b = Get("backup", "demo1-log-backup-azblob");
        if (!b.is_object() || b["status"].contains("logFlushError")) return false;
        std::string c = b["status"].value("logCheckpointTs", "");
        return !c.empty() && std::stoull(c) > fault_ts;
      },
      60s, 500ms))
      << Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;

  // Compact the log up to `target` (PITR then uses the compacted SSTs).
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: CompactBackup
metadata:
  name: demo1-compact-backup
  namespace: test1
spec:
  startTs: ")" + Field("backup", "demo1-log-backup-azblob", "commitTs") +
                  R"("
  endTs: ")" + std::to_string(target) +
                  R"("
  concurrency: 8
  maxRetryTimes: 2
)" + LogStorageYaml("my-log-backup-folder"))
                .exit_code,
            0);
  EXPECT_EQ(WaitFor("cpbk", "demo1-compact-backup", "state", {"Complete", "Failed"}), "Complete")
      << Kubectl({"describe", "cpbk", "-n", "test1"}).output;
  auto cpbk = Kubectl({"get", "cpbk", "-n", "test1"}).output;
  EXPECT_NE(cpbk.find("[READ_META("), std::string::npos) << cpbk;
  EXPECT_FALSE(Field("cpbk", "demo1-compact-backup", "endTs").empty());

  // PITR into demo2 to `target`: equal to the oracle there.
  ASSERT_EQ(Apply(PitrRestoreYaml("demo2-pitr", target)).exit_code, 0);
  ASSERT_EQ(WaitFor("restore", "demo2-pitr", "phase", {"Complete", "Failed"}, 90s), "Complete")
      << Kubectl({"describe", "restore", "demo2-pitr", "-n", "test1"}).output;
  auto expected = Kvctl({"oracle-checksum", "--oracle", oracle, "--ts", std::to_string(target)});
  auto restored = Kvctl({"checksum"}, env_["BRIX_PD_DEMO2"]);
  ASSERT_EQ(expected.exit_code, 0) << expected.output;
  EXPECT_FALSE(Total(expected.output).empty());
  EXPECT_EQ(Total(restored.output), Total(expected.output)) << restored.output;

  // A truncation that fails (past the checkpoint) leaves the effective command out of sync for
  // good; the checkpoint of the running task keeps moving all the same (issue 16 item 4).
  ASSERT_EQ(Apply(LogBackupYaml("log-start", "2099-01-01 00:00:00")).exit_code, 0);
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        Json b = Get("backup", "demo1-log-backup-azblob");
        return b.is_object() &&
               b["status"]["logSubCommandStatuses"]["log-truncate"].value("phase", "") == "Failed";
      },
      60s, 300ms))
      << Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;
  auto after_failure = Kvctl({"tso"});
  ASSERT_EQ(after_failure.exit_code, 0);
  const uint64_t failed_at = std::stoull(after_failure.output);
  EXPECT_TRUE(CheckpointReaches("demo1-log-backup-azblob", failed_at + 1))
      << Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;
  EXPECT_EQ(Field("backup", "demo1-log-backup-azblob", "phase"), "Running");

  ScrapeWithPrometheus(env_, pg_);

  // Pause, resume, stop with the seed's YAML (which drops the failed logTruncateUntil); then a
  // restart is refused, saying why.
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-pause.yaml"}).exit_code, 0);
  EXPECT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Pause"}, 30s), "Pause");
  // The page shows STATUS Pause.
  EXPECT_NE(
      Kubectl({"get", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output.find(" Pause "),
      std::string::npos);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-resume.yaml"}).exit_code, 0);
  EXPECT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Running"}, 30s), "Running");
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-stop.yaml"}).exit_code, 0);
  EXPECT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Stopped"}, 30s), "Stopped");
  auto jobs = Kubectl({"get", "jobs", "-n", "test1"}).output;
  for (const char* sub : {"log-pause", "log-resume", "log-stop"}) {
    EXPECT_NE(jobs.find(std::string("backup-demo1-log-backup-azblob-") + sub), std::string::npos)
        << jobs;
  }
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-azblob.yaml"}).exit_code, 0);
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        return Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"})
                   .output.find("LogBackupStopped") != std::string::npos;
      },
      20s, 300ms));
  EXPECT_EQ(Field("backup", "demo1-log-backup-azblob", "phase"), "Stopped");

  // The seed's truncation as written (but for a valid logSubcommand): 2022 is before the task
  // started, so its job finds nothing to delete and completes, as the page shows.
  int before = ObjectsUnder("my-log-backup-folder");
  ASSERT_EQ(Apply(LogBackupYaml("log-stop", "2022-10-10T15:21:00+08:00")).exit_code, 0);
  EXPECT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "logSuccessTruncateUntil",
                    {"2022-10-10T15:21:00+08:00"}, 30s),
            "2022-10-10T15:21:00+08:00")
      << Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;
  // The job writes the status before its process exits; the Job is Complete once the runner
  // has reaped it (under ASan the exit's leak check takes a while).
  EXPECT_TRUE(brix::PollUntil(
      [&] {
        return Kubectl({"get", "jobs", "-n", "test1"})
                   .output.find("backup-demo1-log-backup-azblob-log-truncate   Complete   1/1") !=
               std::string::npos;
      },
      30s, 300ms))
      << Kubectl({"get", "jobs", "-n", "test1"}).output;
  EXPECT_NE(Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"})
                .output.find("Log Success Truncate Until:  2022-10-10T15:21:00+08:00"),
            std::string::npos);
  EXPECT_GE(ObjectsUnder("my-log-backup-folder"), before);  // nothing deleted
  // The task's real state stays: Stopped (docs/controllers.md says why not Complete).
  EXPECT_EQ(Field("backup", "demo1-log-backup-azblob", "phase"), "Stopped");

  // Truncation to a point in the log: old logs go.
  ASSERT_EQ(Apply(LogBackupYaml("log-stop", std::to_string(target))).exit_code, 0);
  EXPECT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "logSuccessTruncateUntil",
                    {std::to_string(target)}, 30s),
            std::to_string(target))
      << Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;
  EXPECT_NE(
      Kubectl({"get", "backup", "-n", "test1", "-o", "wide"}).output.find(std::to_string(target)),
      std::string::npos);
  EXPECT_NE(Kubectl({"get", "jobs", "-n", "test1"})
                .output.find("backup-demo1-log-backup-azblob-log-truncate   Complete   1/1"),
            std::string::npos);
  int after = ObjectsUnder("my-log-backup-folder");
  EXPECT_GT(before, 0);
  EXPECT_LT(after, before);

  // Deleted while Stopped and applied again as written: the prefix holds the stopped task's log,
  // which no new task continues; refused, saying what to do (issue 16 item 8). Doing it works.
  ASSERT_EQ(Kubectl({"delete", "backup", "demo1-log-backup-azblob", "-n", "test1"}).exit_code, 0);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-azblob.yaml"}).exit_code, 0);
  // Running while its job runs (a slow machine shows it), then Failed when the job is refused.
  EXPECT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Failed"}), "Failed");
  auto again = Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;
  EXPECT_NE(again.find("LogLocationInUse"), std::string::npos) << again;
  EXPECT_NE(again.find("delete this Backup, then apply it again with spec.azblob.prefix"),
            std::string::npos)
      << again;
  EXPECT_EQ(ObjectsUnder("my-log-backup-folder"), after);  // the old log is untouched
  ASSERT_EQ(Kubectl({"delete", "backup", "demo1-log-backup-azblob", "-n", "test1"}).exit_code, 0);
  ASSERT_EQ(Apply(LogBackupYaml("log-start", "", "my-log-backup-folder-2")).exit_code, 0);
  EXPECT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Running", "Failed"}), "Running")
      << Kubectl({"describe", "backup", "demo1-log-backup-azblob", "-n", "test1"}).output;
}

// The seed's three wrong examples are refused clearly; a CompactBackup that cannot work is
// retried up to maxRetryTimes and then fails, saying why.
TEST_F(OneClusterTest, SeedMistakesRefusedAndCompactionRetries) {
  auto bad = Kubectl({"apply", "-f", kSeed + "log-backup-truncate.yaml"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("logSubcommand"), std::string::npos) << bad.output;
  bad = Kubectl({"apply", "-f", kSeed + "compact-backup-demo1.yaml"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("startTs"), std::string::npos) << bad.output;
  bad = Kubectl({"apply", "-f", kSeed + "backup-scheduler-access-key.yaml"});
  EXPECT_NE(bad.exit_code, 0);
  // No credentials (the Secret does not exist): every attempt fails.
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: CompactBackup
metadata:
  name: demo1-compact-backup
  namespace: test1
spec:
  startTs: "2026-11-24 00:00:00"
  endTs: "2026-11-24 01:00:00"
  concurrency: 8
  maxRetryTimes: 1
)" + LogStorageYaml("my-log-backup-folder", "no-such-secret"))
                .exit_code,
            0);
  EXPECT_EQ(WaitFor("cpbk", "demo1-compact-backup", "state", {"Failed", "Complete"}), "Failed");
  EXPECT_NE(Kubectl({"get", "cpbk", "-n", "test1"}).output.find("Failed"), std::string::npos);
  EXPECT_NE(Kubectl({"get", "job", "demo1-compact-backup", "-n", "test1", "-o", "json"})
                .output.find("\"failed\": 2"),
            std::string::npos);
  auto describe = Kubectl({"describe", "cpbk", "demo1-compact-backup", "-n", "test1"}).output;
  EXPECT_NE(describe.find("account"), std::string::npos) << describe;
  EXPECT_NE(describe.find("Retry Num"), std::string::npos) << describe;
}

// Counts running `brix manager backup` processes of one Backup.
int ManagersOf(const std::string& name) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string pid = e.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ifstream stat(e.path() / "stat");
    std::string a, b, state;
    stat >> a >> b >> state;
    if (state != "Z" && cmd.find(std::string("manager\0backup", 14)) != std::string::npos &&
        cmd.find(name) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

// kill -9 of brixd in the middle of a backup: the job dies with it, the restarted brixd counts
// the lost attempt, the backoff retry runs it again (the engine resumes), never two at once.
TEST_F(ControllersTest, KillBrixdMidBackupRetriesToCompletion) {
  ASSERT_EQ(Kvctl({"load", "--table", "big.t1", "--rows", "3000", "--value-size", "4096",
                   "--threads", "8"})
                .exit_code,
            0);
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: Backup
metadata:
  name: slow-backup
  namespace: test1
spec:
  backupType: full
  tableFilter: ["big.*"]
  backoffRetryPolicy:
    minRetryDuration: 1s
  br:
    cluster: demo1
    rateLimit: 1
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: slow
)")
                .exit_code,
            0);
  ASSERT_EQ(WaitFor("backup", "slow-backup", "phase", {"Running"}, 30s), "Running");
  ASSERT_TRUE(brix::PollUntil([] { return ManagersOf("slow-backup") == 1; }, 10s));
  ::kill(Pid("brixd"), SIGKILL);
  EXPECT_TRUE(brix::PollUntil([] { return ManagersOf("slow-backup") == 0; }, 10s));
  auto up = RunCommand({kBin + "/brix", "playground", "up", "--dir", pg_});
  ASSERT_EQ(up->exit_code, 0) << up->output;
  int most = 0;
  std::string phase;
  brix::PollUntil(
      [&] {
        most = std::max(most, ManagersOf("slow-backup"));
        phase = Field("backup", "slow-backup", "phase");
        return phase == "Complete" || phase == "Failed";
      },
      90s, 200ms);
  ASSERT_EQ(phase, "Complete")
      << Kubectl({"describe", "backup", "slow-backup", "-n", "test1"}).output;
  EXPECT_LE(most, 1);
  Json b = Get("backup", "slow-backup");
  ASSERT_EQ(b["status"]["backoffRetryStatus"].size(), 1u) << b.dump(2);
  EXPECT_NE(b["status"]["backoffRetryStatus"][0]["originalReason"].get<std::string>().find(
                "process lost"),
            std::string::npos);
  // What it holds is the source at its ts.
  std::string ts = b["status"]["commitTs"];
  ASSERT_EQ(Apply(R"(apiVersion: br.pingcap.com/v1alpha1
kind: Restore
metadata:
  name: slow-restore
  namespace: test1
spec:
  br:
    cluster: demo2
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: slow
)")
                .exit_code,
            0);
  ASSERT_EQ(WaitFor("restore", "slow-restore", "phase", {"Complete", "Failed"}), "Complete");
  auto source = Kvctl({"checksum", "--ts", ts, "-f", "big.*"});
  auto target = Kvctl({"checksum", "-f", "big.*"}, env_["BRIX_PD_DEMO2"]);
  EXPECT_FALSE(Total(source.output).empty());
  EXPECT_EQ(Total(target.output), Total(source.output));
}

}  // namespace
}  // namespace brix
