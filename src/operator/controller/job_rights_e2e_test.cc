// The seed's RBAC governs its jobs, through the real kubectl against a playground: a backup job
// runs as the CR's spec.serviceAccount (the seed's tidb-backup-manager) with a token of that
// account only, so the seed's rbac.yaml as written is enough for a backup, and without either of
// its rules, or without a verb of them that jobs use, the backup fails and its CR says which
// right was missing (the API server's 403 message). The Role's list and watch are not needed by
// jobs (they only get their CR, update its status and create events).
#include <cctype>

#include "operator/controller/controllers_e2e.h"

namespace brix {
namespace {

// The seed's Role (src/operator/apiserver/testdata/seed/rbac.yaml) with `rules` instead of its
// own.
std::string RoleYaml(const std::string& rules) {
  return R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: tidb-backup-manager
  namespace: test1
rules:
)" + rules;
}

constexpr char kEventsRule[] = R"(- apiGroups: [""]
  resources: ["events"]
  verbs: ["*"]
)";

std::string BrRule(const std::string& verbs) {
  return R"(- apiGroups: ["br.pingcap.com"]
  resources: ["*"]
  verbs: [)" +
         verbs + "]\n";
}

std::string BackupYaml(const std::string& name) {
  BackupYamlOptions o;
  o.spec_lines = "  serviceAccount: tidb-backup-manager\n";
  return FullBackupYaml(name, name, o);
}

class JobRightsTest : public OneClusterTest {
 protected:
  // Runs a backup named `name` under the current Role; returns its final phase and, when it
  // failed, what `kubectl describe` shows.
  std::pair<std::string, std::string> RunBackup(const std::string& name) {
    EXPECT_EQ(Apply(BackupYaml(name)).exit_code, 0);
    std::string phase =
        WaitFor("backup", name, "phase", {"Complete", "Failed", "RetryFailed"}, 120s);
    return {phase, Kubectl({"describe", "backup", name, "-n", "test1"}).output};
  }
};

TEST_F(JobRightsTest, TheSeedsRoleIsEnoughAndEachRightItGrantsThatJobsUseIsNeeded) {
  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "100"}).exit_code, 0);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "rbac.yaml", "-n", "test1"}).exit_code, 0);
  auto [phase, describe] = RunBackup("with-seed-role");
  EXPECT_EQ(phase, "Complete") << describe;
  // The job's account reads no Secret: the runner hands a job only the keys its CR names.
  auto token = Kubectl({"create", "token", "tidb-backup-manager", "-n", "test1"});
  ASSERT_EQ(token.exit_code, 0) << token.output;
  while (!token.output.empty() && std::isspace(token.output.back())) token.output.pop_back();
  auto secret = Kubectl({"get", "secret", "azblob-secret", "-n", "test1", "--token", token.output});
  EXPECT_NE(secret.exit_code, 0);
  EXPECT_NE(secret.output.find("cannot get resource \"secrets\""), std::string::npos)
      << secret.output;

  const std::string sa = "User \"system:serviceaccount:test1:tidb-backup-manager\" cannot ";
  struct Case {
    std::string name;    // of the backup
    std::string rules;   // the Role's rules for it
    std::string denied;  // what its CR must say
  };
  const std::vector<Case> cases = {
      {"without-events-rule", BrRule(R"("get", "watch", "list", "update")"),
       sa + "create resource \"events\" in API group \"\" in the namespace \"test1\""},
      {"without-br-rule", kEventsRule,
       sa + "get resource \"backups\" in API group \"br.pingcap.com\" in the namespace \"test1\""},
      {"without-get", std::string(kEventsRule) + BrRule(R"("watch", "list", "update")"),
       sa + "get resource \"backups\" in API group \"br.pingcap.com\" in the namespace \"test1\""},
      {"without-update", std::string(kEventsRule) + BrRule(R"("get", "watch", "list")"),
       sa + "update resource \"backups/status\" in API group \"br.pingcap.com\" in the "
            "namespace \"test1\""},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(Apply(RoleYaml(c.rules)).exit_code, 0) << c.name;
    auto [phase, describe] = RunBackup(c.name);
    // Failed when the job could still write its CR's status, else RetryFailed (the job failed;
    // the controller retries it later, as it does every failed job: the Role may be fixed).
    EXPECT_TRUE(phase == "Failed" || phase == "RetryFailed") << c.name << "\n" << describe;
    EXPECT_NE(describe.find(c.denied), std::string::npos)
        << c.name << ": expected \"" << c.denied << "\" in\n"
        << describe;
  }
  // The seed's Role again: backups work again.
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "rbac.yaml", "-n", "test1"}).exit_code, 0);
  auto [again, again_describe] = RunBackup("with-seed-role-again");
  EXPECT_EQ(again, "Complete") << again_describe;
}

}  // namespace
}  // namespace brix
