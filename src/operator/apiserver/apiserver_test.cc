// brixd against the real kubectl: a real etcd and the brixd binary on free loopback ports in a
// temp folder, driven with /usr/bin/kubectl and the kubeconfig brixd writes, with a fresh
// discovery cache per test. The seed's manifests come from testdata/seed (extracted from
// the seed document, backup-to-azblob-using-br.md, as written).
#include "common/net_util.h"
#include "common/process.h"
#include "operator/apiserver/brixd_fixture.h"

namespace brix::apiserver {
namespace {

const char kBackupPath[] = "/apis/br.pingcap.com/v1alpha1/namespaces/test1/backups/";

// The first line of a `kubectl get` table split into column names.
std::vector<std::string> Header(const std::string& output) {
  std::istringstream in(output.substr(0, output.find('\n')));
  std::vector<std::string> cols;
  std::string c;
  while (in >> c) cols.push_back(c);
  return cols;
}

TEST_F(BrixdTest, TokenAndKubeconfigAreOwnerOnlyEvenOverStaleWorldReadableTempFiles) {
  brixd_.Stop();
  // Leftovers of an earlier crash, readable by everyone; a fresh token must be written.
  const std::string state = dir_.path() + "/state";
  ::unlink((state + "/token").c_str());
  for (const std::string& stale : {kubeconfig_ + ".tmp", state + "/token.tmp"}) {
    WriteFile(stale.substr(dir_.path().size() + 1), "stale");
    ASSERT_EQ(::chmod(stale.c_str(), 0644), 0);
  }
  StartBrixd();
  for (const std::string& secret : {kubeconfig_, state + "/token", state + "/tls.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat(secret.c_str(), &st), 0) << secret;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << secret;
  }
  EXPECT_NE(
      testing::FileContents(kubeconfig_).find("token: " + testing::FileContents(state + "/token")),
      std::string::npos);
}

TEST_F(BrixdTest, SeedManifestsAsWritten) {
  EXPECT_NE(Ok({"apply", "-n", "test1", "-f", kSeed + "rbac.yaml"})
                .find("rolebinding.rbac.authorization.k8s.io/tidb-backup-manager created"),
            std::string::npos);
  EXPECT_NE(Ok({"create", "secret", "generic", "azblob-secret", "-n", "test1",
                "--from-literal=AZURE_STORAGE_ACCOUNT=devstoreaccount1",
                "--from-literal=AZURE_STORAGE_KEY=c2VjcmV0"})
                .find("secret/azblob-secret created"),
            std::string::npos);
  CommandResult again = Kubectl(
      {"create", "secret", "generic", "azblob-secret", "-n", "test1", "--from-literal=A=b"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;
  Json secret = GetJson("/api/v1/namespaces/test1/secrets/azblob-secret");
  EXPECT_EQ(secret["data"]["AZURE_STORAGE_ACCOUNT"], "ZGV2c3RvcmVhY2NvdW50MQ==");
  EXPECT_EQ(secret["type"], "Opaque");

  EXPECT_NE(Ok({"apply", "-f", kSeed + "full-backup-azblob.yaml"})
                .find("backup.br.pingcap.com/demo1-full-backup-azblob created"),
            std::string::npos);
  EXPECT_NE(Ok({"apply", "-f", kSeed + "full-backup-azblob.yaml"}).find("unchanged"),
            std::string::npos);
  for (const char* f :
       {"log-backup-azblob", "log-backup-pause", "log-backup-resume", "log-backup-stop",
        "backup-all-clusters", "backup-single-database", "backup-single-table",
        "backup-multiple-tables", "backup-scheduler-azure-ad", "integrated-backup-scheduler",
        "integrated-compact-scheduler"}) {
    std::string out = Ok({"apply", "-f", kSeed + f + ".yaml"});
    EXPECT_TRUE(out.find(" created") != std::string::npos ||
                out.find(" configured") != std::string::npos)
        << f << ": " << out;
  }
  Json log = GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob");
  EXPECT_EQ(log["spec"]["logSubcommand"], "log-stop");
  EXPECT_EQ(log["metadata"]["generation"], 4);  // created, then three spec changes

  // The three examples that are wrong as written.
  CommandResult bad_yaml = Kubectl({"apply", "-f", kSeed + "backup-scheduler-access-key.yaml"});
  EXPECT_NE(bad_yaml.exit_code, 0);
  EXPECT_NE(bad_yaml.output.find("did not find expected key"), std::string::npos)
      << bad_yaml.output;
  CommandResult truncate = Kubectl({"apply", "-f", kSeed + "log-backup-truncate.yaml"});
  EXPECT_NE(truncate.exit_code, 0);
  EXPECT_NE(truncate.output.find("spec.logSubcommand: Unsupported value: "
                                 "\"log-start/log-pause/log-stop\""),
            std::string::npos)
      << truncate.output;
  CommandResult compact = Kubectl({"apply", "-f", kSeed + "compact-backup-demo1.yaml"});
  EXPECT_NE(compact.exit_code, 0);
  EXPECT_NE(compact.output.find("spec.startTs: Invalid value: \"***\""), std::string::npos)
      << compact.output;
  EXPECT_NE(compact.output.find("spec.endTs: Invalid value: \"***\""), std::string::npos);
  // The refused truncate left the stored object alone.
  EXPECT_EQ(GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob")["spec"]["logSubcommand"],
            "log-stop");

  // Columns, defaults (MODE snapshot) and -o wide.
  std::string get = Ok({"get", "backup", "-n", "test1"});
  EXPECT_EQ(Header(get),
            (std::vector<std::string>{"NAME", "TYPE", "MODE", "STATUS", "BACKUPPATH", "BACKUPSIZE",
                                      "COMMITTS", "LOGTRUNCATEUNTIL", "TIMETAKEN", "AGE"}));
  EXPECT_NE(get.find("demo1-full-backup-azblob   full   snapshot"), std::string::npos) << get;
  EXPECT_NE(get.find("demo1-log-backup-azblob           log"), std::string::npos) << get;
  std::string wide = Ok({"get", "bk", "-n", "test1", "-o", "wide"});
  EXPECT_EQ(Header(wide),
            (std::vector<std::string>{"NAME", "TYPE", "MODE", "STATUS", "BACKUPPATH", "BACKUPSIZE",
                                      "INCREMENTALBACKUPSIZE", "COMMITTS", "LOGTRUNCATEUNTIL",
                                      "STARTED", "COMPLETED", "TIMETAKEN", "LAGSECONDS", "AGE"}));
  std::string bks = Ok({"get", "bks", "-n", "test1", "-o", "wide"});
  EXPECT_EQ(Header(bks),
            (std::vector<std::string>{"NAME", "SCHEDULE", "MAXBACKUPS", "MAXRESERVEDTIME",
                                      "LASTBACKUP", "LASTBACKUPTIME", "AGE"}));
  EXPECT_NE(bks.find("*/2 * * * *"), std::string::npos) << bks;
  EXPECT_NE(bks.find("3h"), std::string::npos) << bks;
  EXPECT_NE(Ok({"get", "cpbk", "-n", "test1"}).find("No resources found in test1 namespace."),
            std::string::npos);

  // A schedule-made backup (as the controller will create it) and the label selector.
  Ok({"label", "backup", "demo1-backup-azblob", "-n", "test1",
      "tidb.pingcap.com/backup-schedule=demo1-backup-schedule-azblob"});
  std::string selected =
      Ok({"get", "backup", "-l", "tidb.pingcap.com/backup-schedule=demo1-backup-schedule-azblob",
          "-n", "test1"});
  EXPECT_NE(selected.find("demo1-backup-azblob "), std::string::npos) << selected;
  EXPECT_EQ(selected.find("demo1-full-backup-azblob"), std::string::npos) << selected;
  std::string not_selected = Ok({"get", "bk", "-n", "test1", "-l",
                                 "tidb.pingcap.com/backup-schedule notin (x),!nope", "-o", "name"});
  EXPECT_NE(not_selected.find("backup.br.pingcap.com/demo1-backup-azblob"), std::string::npos);

  // Jobs: the controller's job as it will be written, printed like kubectl's job printer.
  auto res = Http()->Post("/apis/batch/v1/namespaces/test1/jobs",
                          R"({"metadata":{"name":"backup-demo1-log-backup-azblob-log-start"},
          "spec":{"completions":1,"template":{"spec":{"containers":[{"name":"brix","image":"brix"}]}}}})",
                          "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  std::string jobs = Ok({"get", "jobs", "-n", "test1"});
  EXPECT_EQ(Header(jobs),
            (std::vector<std::string>{"NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"}));
  EXPECT_NE(jobs.find("backup-demo1-log-backup-azblob-log-start   Running   0/1"),
            std::string::npos)
      << jobs;
}

TEST_F(BrixdTest, DescribeEditAndPatch) {
  Ok({"apply", "-f", kSeed + "log-backup-azblob.yaml"});
  std::string described = Ok({"describe", "backup", "-n", "test1"});
  EXPECT_NE(described.find("Name:         demo1-log-backup-azblob"), std::string::npos)
      << described;
  EXPECT_NE(described.find("Log Subcommand:"), std::string::npos) << described;
  EXPECT_NE(described.find("Backup Mode:"), std::string::npos) << described;

  // kubectl edit with a scripted editor, as the seed's pause step does.
  std::string editor = WriteFile("editor.sh",
                                 "#!/bin/sh\nsed -i 's/logSubcommand: log-start/logSubcommand: "
                                 "log-pause/' \"$1\"\n");
  ::chmod(editor.c_str(), 0755);
  std::string edited = Ok({"edit", "backup", "demo1-log-backup-azblob", "-n", "test1"},
                          {{"EDITOR", editor}, {"KUBE_EDITOR", editor}});
  EXPECT_NE(edited.find("edited"), std::string::npos) << edited;
  Json b = GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob");
  EXPECT_EQ(b["spec"]["logSubcommand"], "log-pause");
  EXPECT_EQ(b["metadata"]["generation"], 2);

  // An edit that breaks the object is refused; kubectl reopens the file with the server's
  // message (naming the field) at the top, which the script records.
  std::string seen = dir_.path() + "/edit-seen.txt";
  std::string breaker = WriteFile("breaker.sh", "#!/bin/sh\ncat \"$1\" >> " + seen +
                                                    "\nsed -i 's/logSubcommand: log-pause/"
                                                    "logSubcommand: log-halt/' \"$1\"\n");
  ::chmod(breaker.c_str(), 0755);
  CommandResult broken = Kubectl({"edit", "backup", "demo1-log-backup-azblob", "-n", "test1"},
                                 {{"EDITOR", breaker}, {"KUBE_EDITOR", breaker}});
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE(broken.output.find("is invalid"), std::string::npos) << broken.output;
  EXPECT_NE(testing::FileContents(seen).find("spec.logSubcommand: Unsupported value: \"log-halt\""),
            std::string::npos)
      << testing::FileContents(seen);
  EXPECT_EQ(GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob")["spec"]["logSubcommand"],
            "log-pause");

  Ok({"patch", "backup", "demo1-log-backup-azblob", "-n", "test1", "--type", "merge", "-p",
      R"({"spec":{"logTruncateUntil":"2022-10-10T15:21:00+08:00"}})"});
  b = GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob");
  EXPECT_EQ(b["spec"]["logTruncateUntil"], "2022-10-10T15:21:00+08:00");
  EXPECT_EQ(b["metadata"]["generation"], 3);
  // Label changes are not spec changes.
  Ok({"label", "backup", "demo1-log-backup-azblob", "-n", "test1", "team=db"});
  EXPECT_EQ(GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob")["metadata"]["generation"],
            3);
  CommandResult bad_patch =
      Kubectl({"patch", "backup", "demo1-log-backup-azblob", "-n", "test1", "--type", "merge", "-p",
               R"({"spec":{"commitTs":"yesterday"}})"});
  EXPECT_NE(bad_patch.exit_code, 0);
  EXPECT_NE(bad_patch.output.find("spec.commitTs: Invalid value: \"yesterday\""), std::string::npos)
      << bad_patch.output;
}

TEST_F(BrixdTest, DeleteWithAndWithoutFinalizer) {
  Ok({"apply", "-f", kSeed + "full-backup-azblob.yaml"});
  Ok({"apply", "-f", kSeed + "log-backup-azblob.yaml"});
  EXPECT_NE(Ok({"delete", "backup", "demo1-full-backup-azblob", "-n", "test1"}).find("deleted"),
            std::string::npos);
  CommandResult gone = Kubectl({"get", "backup", "demo1-full-backup-azblob", "-n", "test1"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.output.find("NotFound"), std::string::npos) << gone.output;

  Ok({"patch", "backup", "demo1-log-backup-azblob", "-n", "test1", "--type", "merge", "-p",
      R"({"metadata":{"finalizers":["tidb.pingcap.com/backup-protection"]}})"});
  // kubectl delete waits until the object is really gone.
  auto del = ChildProcess::Start(
      {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir", dir_.path() + "/kube-cache", "delete",
       "backup", "demo1-log-backup-azblob", "-n", "test1"},
      {}, dir_.path() + "/delete.log");
  ASSERT_TRUE(del.ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        auto res = Http()->Get((std::string(kBackupPath) + "demo1-log-backup-azblob").c_str());
        return res && res->status == 200 &&
               Json::parse(res->body)["metadata"].contains("deletionTimestamp");
      },
      20s));
  EXPECT_TRUE(del->Running()) << testing::FileContents(dir_.path() + "/delete.log");
  // Still there, so a second delete is harmless and the finalizer holds it.
  EXPECT_EQ(GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob")["metadata"]["finalizers"]
                .size(),
            1u);
  Ok({"patch", "backup", "demo1-log-backup-azblob", "-n", "test1", "--type", "merge", "-p",
      R"({"metadata":{"finalizers":null}})"});
  ASSERT_TRUE(PollUntil([&] { return !del->Running(); }, 30s))
      << testing::FileContents(dir_.path() + "/delete.log");
  EXPECT_NE(testing::FileContents(dir_.path() + "/delete.log").find("deleted"), std::string::npos);
  auto res = Http()->Get((std::string(kBackupPath) + "demo1-log-backup-azblob").c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(BrixdTest, WatchSeesStatusChangeByAnotherClient) {
  Ok({"apply", "-f", kSeed + "log-backup-azblob.yaml"});
  auto watch =
      ChildProcess::Start({kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir",
                           dir_.path() + "/kube-cache", "get", "backup", "-n", "test1", "-w"},
                          {}, dir_.path() + "/watch.log");
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(PollUntil(
      [&] {
        return testing::FileContents(dir_.path() + "/watch.log").find("demo1-log-backup-azblob") !=
               std::string::npos;
      },
      20s));
  // Another client (a controller) writes status through the status subresource.
  // Retried until the watch is established: the list alone is not proof of the watch.
  int n = 0;
  ASSERT_TRUE(PollUntil(
      [&] {
        std::string phase = "Running" + std::to_string(++n);
        auto res = Http()->Patch(
            (std::string(kBackupPath) + "demo1-log-backup-azblob/status").c_str(),
            Json{{"status", {{"phase", phase}, {"commitTs", "436568622965194754"}}}}.dump(),
            "application/merge-patch+json");
        EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
        return PollUntil(
            [&] {
              return testing::FileContents(dir_.path() + "/watch.log").find(phase) !=
                     std::string::npos;
            },
            2s);
      },
      20s))
      << testing::FileContents(dir_.path() + "/watch.log");
  std::string log = testing::FileContents(dir_.path() + "/watch.log");
  EXPECT_NE(log.find("436568622965194754"), std::string::npos) << log;
  watch->Stop();
  // The status write did not touch the spec, so the generation stayed.
  Json b = GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob");
  EXPECT_EQ(b["metadata"]["generation"], 1);
  // A write to the main resource cannot change status.
  Ok({"patch", "backup", "demo1-log-backup-azblob", "-n", "test1", "--type", "merge", "-p",
      R"({"status":{"phase":"Forged"}})"});
  EXPECT_NE(GetJson(std::string(kBackupPath) + "demo1-log-backup-azblob")["status"]["phase"],
            "Forged");
}

TEST_F(BrixdTest, TokenRequiredAndConflicts) {
  auto anonymous = Http(/*with_token=*/false)->Get("/apis/br.pingcap.com/v1alpha1");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto wrong = Http(false);
  wrong->set_bearer_token_auth("not-the-token");
  auto res = wrong->Get("/api/v1/namespaces/test1/secrets");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  auto version = Http(false)->Get("/version");
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 200);

  Ok({"apply", "-f", kSeed + "full-backup-azblob.yaml"});
  Json b = GetJson(std::string(kBackupPath) + "demo1-full-backup-azblob");
  std::string rv = b["metadata"]["resourceVersion"];
  b["spec"]["br"]["logLevel"] = "debug";
  auto put = Http()->Put((std::string(kBackupPath) + "demo1-full-backup-azblob").c_str(), b.dump(),
                         "application/json");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_NE(Json::parse(put->body)["metadata"]["resourceVersion"], rv);
  // The same body again carries the now stale resourceVersion.
  put = Http()->Put((std::string(kBackupPath) + "demo1-full-backup-azblob").c_str(), b.dump(),
                    "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 409);
  EXPECT_EQ(Json::parse(put->body)["reason"], "Conflict");
  auto post = Http()->Post("/apis/br.pingcap.com/v1alpha1/namespaces/test1/backups", b.dump(),
                           "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 409);
  EXPECT_EQ(Json::parse(post->body)["reason"], "AlreadyExists");
  // A patch carrying a stale resourceVersion is a conflict too.
  auto patch = Http()->Patch(
      (std::string(kBackupPath) + "demo1-full-backup-azblob").c_str(),
      Json{{"metadata", {{"resourceVersion", rv}}}, {"spec", {{"backupType", "db"}}}}.dump(),
      "application/merge-patch+json");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->status, 409);
}

struct InvalidCase {
  const char* name;
  const char* spec_yaml;  // indented by 2, under `spec:`
  const char* kind;
  const char* expected;  // must appear in kubectl's output
};

TEST_F(BrixdTest, InvalidManifestsNameTheField) {
  const char* kStorage = "  br:\n    cluster: demo1\n  azblob:\n    container: c\n";
  const InvalidCase cases[] = {
      {"backup-type", "  backupType: everything\n", "Backup",
       "spec.backupType: Unsupported value: \"everything\""},
      {"backup-mode", "  backupMode: incremental\n", "Backup",
       "spec.backupMode: Unsupported value: \"incremental\""},
      {"log-subcommand", "  backupMode: log\n  logSubcommand: log-resume\n", "Backup",
       "spec.logSubcommand: Unsupported value: \"log-resume\""},
      {"clean-policy", "  cleanPolicy: Sometimes\n", "Backup",
       "spec.cleanPolicy: Unsupported value: \"Sometimes\""},
      {"restore-mode", "  restoreMode: rewind\n", "Restore",
       "spec.restoreMode: Unsupported value: \"rewind\""},
      {"access-tier",
       "  azblob:\n    container: c\n    accessTier: Frozen\n  br:\n    cluster: x\n", "Backup",
       "spec.azblob.accessTier: Unsupported value: \"Frozen\""},
      {"time-ago", "  br:\n    cluster: demo1\n    timeAgo: 1d\n  azblob:\n    container: c\n",
       "Backup", "spec.br.timeAgo: Invalid value: \"1d\""},
      {"commit-ts", "  commitTs: \"2022-13-45 99:00:00\"\n", "Backup",
       "spec.commitTs: Invalid value: \"2022-13-45 99:00:00\""},
      // Timestamps that are no real instant (common/timestamp.h), refused by kubectl apply:
      {"feb-31", "  commitTs: \"2026-02-31 00:00:00\"\n", "Backup",
       "'2026-02-31 00:00:00' is not a real date (2026-02 has 28 days)"},
      {"zone", "  commitTs: \"2026-02-01T00:00:00+99:99\"\n", "Backup",
       "no valid zone offset '+99:99'"},
      {"nanos", "  backupMode: log\n  logTruncateUntil: \"1700000000000000000\"\n", "Backup",
       "neither a TSO nor Unix seconds or milliseconds"},
      {"truncate-until", "  logTruncateUntil: soon\n", "Backup",
       "spec.logTruncateUntil: Invalid value: \"soon\""},
      {"pitr-ts", "  restoreMode: pitr\n  pitrRestoredTs: \"2022/10/10\"\n", "Restore",
       "spec.pitrRestoredTs: Invalid value: \"2022/10/10\""},
      {"log-stop", "  backupMode: log\n  logStop: true\n  logSubcommand: log-stop\n", "Backup",
       "spec.logStop: Forbidden"},
      {"unknown", "  azblob:\n    container: c\n    containr: typo\n  br:\n    cluster: x\n",
       "Backup", "spec.azblob.containr: Unknown field"},
      {"cluster", "  br:\n    logLevel: info\n  azblob:\n    container: c\n", "Backup",
       "spec.br.cluster: Required value"},
      {"storage", "  br:\n    cluster: demo1\n", "Backup", "spec.azblob: Required value"},
      {"compact-ts", "  startTs: \"***\"\n", "CompactBackup", "spec.startTs: Invalid value"},
  };
  for (const auto& c : cases) {
    std::string spec = c.spec_yaml;
    // Cases that do not set br or a storage block get a valid one.
    if (spec.find("  br:") == std::string::npos && spec.find("  azblob:") == std::string::npos &&
        std::string(c.name) != "storage") {
      spec += kStorage;
    }
    std::string path = WriteFile(std::string(c.name) + ".yaml",
                                 std::string("apiVersion: br.pingcap.com/v1alpha1\nkind: ") +
                                     c.kind + "\nmetadata:\n  name: bad-" + c.name +
                                     "\n  namespace: test1\nspec:\n" + spec);
    CommandResult r = Kubectl({"apply", "-f", path});
    EXPECT_NE(r.exit_code, 0) << c.name;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.name << ": " << r.output;
  }
  const InvalidCase schedules[] = {
      {"cron", "  schedule: \"*/2 * * *\"\n", "", "spec.schedule: Invalid value: \"*/2 * * *\""},
      {"cron-range", "  schedule: \"0 25 * * *\"\n", "", "above maximum (23)"},
      {"every", "  schedule: \"@every fortnight\"\n", "", "spec.schedule: Invalid value"},
      {"descriptor", "  schedule: \"@sometimes\"\n", "", "unrecognized descriptor"},
      {"reserved", "  schedule: \"@daily\"\n  maxReservedTime: 3d\n", "",
       "spec.maxReservedTime: Invalid value: \"3d\""},
      {"compact-interval", "  schedule: \"@every 1h\"\n  compactInterval: hourly\n", "",
       "spec.compactInterval: Invalid value: \"hourly\""},
      {"template-required", "  schedule: \"@hourly\"\n", "", "spec.backupTemplate: Required value"},
      {"schedule-required", "", "", "spec.schedule: Required value"},
      {"template-enum", "  schedule: \"0 */2 * * *\"\n", "backupMode: weekly",
       "spec.backupTemplate.backupMode: Unsupported value: \"weekly\""},
  };
  for (const auto& c : schedules) {
    std::string spec = c.spec_yaml;
    std::string name = c.name;
    if (name != "template-required") {
      spec += std::string(
                  "  backupTemplate:\n    br:\n      cluster: demo1\n    azblob:\n"
                  "      container: c\n") +
              (c.kind[0] ? std::string("    ") + c.kind + "\n" : "");
    }
    std::string path = WriteFile(name + ".yaml",
                                 "apiVersion: br.pingcap.com/v1alpha1\nkind: BackupSchedule\n"
                                 "metadata:\n  name: bad-" +
                                     name + "\n  namespace: test1\nspec:\n" + spec);
    CommandResult r = Kubectl({"apply", "-f", path});
    EXPECT_NE(r.exit_code, 0) << c.name;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.name << ": " << r.output;
  }
  // Nothing invalid was stored; valid descriptors are accepted.
  EXPECT_NE(Ok({"get", "bk,bks,rt,cpbk", "-n", "test1"}).find("No resources found"),
            std::string::npos);
  std::string daily = WriteFile(
      "daily.yaml",
      "apiVersion: br.pingcap.com/v1alpha1\nkind: BackupSchedule\nmetadata:\n  name: daily\n"
      "  namespace: test1\nspec:\n  schedule: \"CRON_TZ=UTC @daily\"\n  maxReservedTime: 72h\n"
      "  backupTemplate:\n    br:\n      cluster: demo1\n    azblob:\n      container: c\n");
  Ok({"apply", "-f", daily});
  EXPECT_EQ(GetJson("/apis/br.pingcap.com/v1alpha1/namespaces/test1/backupschedules/daily")
                ["spec"]["backupTemplate"]["backupMode"],
            "snapshot");
}

TEST_F(BrixdTest, RestartKeepsObjectsVersionsAndWatches) {
  Ok({"apply", "-f", kSeed + "full-backup-azblob.yaml"});
  Json before = GetJson(std::string(kBackupPath) + "demo1-full-backup-azblob");
  std::string rv = before["metadata"]["resourceVersion"];
  brixd_.Stop();
  // Changed while brixd was down (directly in etcd would be the same; a second brixd is
  // simpler): restart, write, and a watch from the old revision must replay the write.
  StartBrixd();
  Json after = GetJson(std::string(kBackupPath) + "demo1-full-backup-azblob");
  EXPECT_EQ(after["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(after["metadata"]["uid"], before["metadata"]["uid"]);
  Ok({"patch", "backup", "demo1-full-backup-azblob", "-n", "test1", "--type", "merge", "-p",
      R"({"spec":{"br":{"logLevel":"debug"}}})"});
  std::string events;
  auto res =
      Http()->Get((std::string("/apis/br.pingcap.com/v1alpha1/namespaces/test1/backups?watch=true&"
                               "timeoutSeconds=2&resourceVersion=") +
                   rv)
                      .c_str(),
                  [&](const char* data, size_t len) {
                    events.append(data, len);
                    return true;
                  });
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  Json first = Json::parse(events.substr(0, events.find('\n')), nullptr, false);
  ASSERT_TRUE(first.is_object()) << events;
  EXPECT_EQ(first["type"], "MODIFIED");
  EXPECT_EQ(first["object"]["spec"]["br"]["logLevel"], "debug");
  // The kubeconfig written before the restart still works (same token and certificate).
  EXPECT_NE(Ok({"get", "bk", "-n", "test1"}).find("demo1-full-backup-azblob"), std::string::npos);
}

}  // namespace
}  // namespace brix::apiserver
