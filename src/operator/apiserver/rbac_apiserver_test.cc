// brixd's authentication and RBAC end to end: ServiceAccount tokens from the TokenRequest API
// (`kubectl create token`), the seed's Role and RoleBinding enforced with Kubernetes' 403s,
// `kubectl auth can-i`, tokens of deleted or re-created accounts, and the Job admission rules
// (the latter in process, where the controllers' in-memory token is at hand).
#include "common/process.h"
#include "operator/api/job_kind.h"
#include "operator/apiserver/brixd_fixture.h"
#include "operator/apiserver/server.h"

namespace brix::apiserver {
namespace {

const char kSaUser[] = "system:serviceaccount:test1:tidb-backup-manager";
const char kTest1Backups[] = "/apis/br.pingcap.com/v1alpha1/namespaces/test1/backups";
const char kBackup[] =
    "/apis/br.pingcap.com/v1alpha1/namespaces/test1/backups/demo1-full-backup-azblob";

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class RbacTest : public BrixdTest {
 protected:
  // The seed's first steps as the admin, then a token for its ServiceAccount.
  std::string SeedAndToken() {
    Ok({"apply", "-n", "test1", "-f", kSeed + "rbac.yaml"});
    Ok({"create", "secret", "generic", "azblob-secret", "-n", "test1",
        "--from-literal=AZURE_STORAGE_ACCOUNT=devstoreaccount1"});
    Ok({"apply", "-f", kSeed + "full-backup-azblob.yaml"});
    std::string token = Trimmed(Ok({"create", "token", "tidb-backup-manager", "-n", "test1"}));
    EXPECT_TRUE(token.starts_with("brixsa_")) << token;
    return token;
  }

  // The status code and body of a request with `token`.
  std::pair<int, Json> Call(const std::string& token, const std::string& method,
                            const std::string& path, const Json& body = nullptr,
                            const std::string& type = "application/json") {
    auto c = HttpAs(token);
    httplib::Result r = method == "GET"     ? c->Get(path)
                        : method == "POST"  ? c->Post(path, body.dump(), type)
                        : method == "PUT"   ? c->Put(path, body.dump(), type)
                        : method == "PATCH" ? c->Patch(path, body.dump(), type)
                                            : c->Delete(path);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, nullptr};
    return {r->status, Json::parse(r->body, nullptr, false)};
  }
};

TEST_F(RbacTest, AnonymousAndUnknownTokensGet401InTheStatusShape) {
  for (const std::string& token :
       {std::string(), std::string("not-a-token"), "brixsa_" + std::string(64, '0')}) {
    auto c = token.empty() ? Http(/*with_token=*/false) : HttpAs(token);
    auto r = c->Get("/api/v1/namespaces/test1/secrets");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << token;
    Json status = Json::parse(r->body, nullptr, false);
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["reason"], "Unauthorized");
    EXPECT_EQ(status["code"], 401);
  }
  CommandResult r = KubectlWith(KubeconfigWithToken("bad.kubeconfig", "wrong"),
                                {"get", "backups", "-n", "test1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("You must be logged in to the server"), std::string::npos) << r.output;
}

TEST_F(RbacTest, SeedServiceAccountMayDoWhatItsRoleSaysAndNothingElse) {
  std::string token = SeedAndToken();
  EXPECT_EQ(Call(token, "GET", kBackup).first, 200);
  EXPECT_EQ(Call(token, "GET", kTest1Backups).first, 200);
  EXPECT_EQ(Call(token, "GET", std::string(kTest1Backups) + "?watch=true&timeoutSeconds=1").first,
            200);
  Json backup = Call(token, "GET", kBackup).second;
  backup["metadata"]["labels"]["touched"] = "yes";
  EXPECT_EQ(Call(token, "PUT", kBackup, backup).first, 200);
  Json status = Call(token, "GET", kBackup).second;
  status["status"]["phase"] = "Scheduled";
  EXPECT_EQ(Call(token, "PUT", std::string(kBackup) + "/status", status).first, 200);
  Json event = {{"metadata", {{"name", "e1"}}},
                {"involvedObject", {{"kind", "Backup"}, {"name", "demo1-full-backup-azblob"}}},
                {"reason", "Test"},
                {"message", "hello"}};
  EXPECT_EQ(Call(token, "POST", "/api/v1/namespaces/test1/events", event).first, 201);

  auto [code, denied] = Call(token, "GET", "/api/v1/namespaces/test1/secrets/azblob-secret");
  EXPECT_EQ(code, 403);
  EXPECT_EQ(denied["reason"], "Forbidden");
  EXPECT_EQ(denied["message"], std::string("secrets \"azblob-secret\" is forbidden: User \"") +
                                   kSaUser +
                                   "\" cannot get resource \"secrets\" in API group \"\" in the "
                                   "namespace \"test1\"");
  EXPECT_EQ(denied["details"], (Json{{"name", "azblob-secret"}, {"kind", "secrets"}}));
  CommandResult get_secret = KubectlWith(KubeconfigWithToken("sa.kubeconfig", token),
                                         {"get", "secret", "azblob-secret", "-n", "test1"});
  EXPECT_NE(get_secret.exit_code, 0);
  EXPECT_NE(get_secret.output.find(std::string("Error from server (Forbidden): secrets "
                                               "\"azblob-secret\" is forbidden: User \"") +
                                   kSaUser +
                                   "\" cannot get resource \"secrets\" in API group "
                                   "\"\" in the namespace \"test1\""),
            std::string::npos)
      << get_secret.output;

  auto patch = Call(token, "PATCH", kBackup, {{"metadata", {{"labels", {{"x", "y"}}}}}},
                    "application/merge-patch+json");
  EXPECT_EQ(patch.first, 403);
  EXPECT_NE(patch.second["message"].get<std::string>().find(
                "cannot patch resource \"backups\" in API group \"br.pingcap.com\""),
            std::string::npos);
  auto other_ns = Call(token, "GET", "/apis/br.pingcap.com/v1alpha1/namespaces/test2/backups");
  EXPECT_EQ(other_ns.first, 403);
  EXPECT_NE(other_ns.second["message"].get<std::string>().find("in the namespace \"test2\""),
            std::string::npos);
  auto everywhere = Call(token, "GET", "/apis/br.pingcap.com/v1alpha1/backups");
  EXPECT_EQ(everywhere.first, 403);
  EXPECT_EQ(everywhere.second["message"],
            std::string("backups.br.pingcap.com is forbidden: User \"") + kSaUser +
                "\" cannot list resource \"backups\" in API group \"br.pingcap.com\" at the "
                "cluster scope");
  // Minting tokens needs create on serviceaccounts/token, which the seed's Role does not grant.
  auto mint =
      Call(token, "POST", "/api/v1/namespaces/test1/serviceaccounts/tidb-backup-manager/token",
           {{"spec", Json::object()}});
  EXPECT_EQ(mint.first, 403);
  EXPECT_EQ(mint.second["message"],
            std::string("serviceaccounts \"tidb-backup-manager\" is forbidden: User \"") + kSaUser +
                "\" cannot create resource \"serviceaccounts/token\" in API group \"\" in the "
                "namespace \"test1\"");

  // A ClusterRole bound in test1 (cluster-scoped kinds through the real kubectl) grants the read.
  Ok({"create", "clusterrole", "secret-reader", "--verb=get", "--resource=secrets"});
  Ok({"create", "rolebinding", "read-secrets", "-n", "test1", "--clusterrole=secret-reader",
      "--serviceaccount=test1:tidb-backup-manager"});
  EXPECT_EQ(Call(token, "GET", "/api/v1/namespaces/test1/secrets/azblob-secret").first, 200);
  EXPECT_EQ(Call(token, "GET", "/api/v1/namespaces/test2/secrets/azblob-secret").first, 403);
}

TEST_F(RbacTest, KubectlAuthCanIAnswersTruthfully) {
  std::string sa = KubeconfigWithToken("sa.kubeconfig", SeedAndToken());
  struct Case {
    std::vector<std::string> args;
    bool yes;
  };
  const std::vector<Case> cases = {
      {{"get", "backups"}, true},
      {{"watch", "backups.br.pingcap.com"}, true},
      {{"update", "backups", "--subresource", "status"}, true},
      {{"create", "events"}, true},
      {{"patch", "backups"}, false},
      {{"get", "secrets"}, false},
      {{"get", "secret/azblob-secret"}, false},
      {{"create", "serviceaccounts", "--subresource", "token"}, false},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"auth", "can-i"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"-n", "test1"});
    CommandResult r = KubectlWith(sa, args);
    EXPECT_EQ(Trimmed(r.output), c.yes ? "yes" : "no") << c.args[0] << " " << c.args[1];
    EXPECT_EQ(r.exit_code, c.yes ? 0 : 1) << r.output;
  }
  EXPECT_EQ(Trimmed(KubectlWith(sa, {"auth", "can-i", "get", "backups", "-n", "test2"}).output),
            "no");
  EXPECT_EQ(Trimmed(Ok({"auth", "can-i", "delete", "secrets", "-n", "test1"})), "yes");
  std::string whoami = KubectlWith(sa, {"auth", "whoami"}).output;
  EXPECT_NE(whoami.find(kSaUser), std::string::npos) << whoami;
}

TEST_F(RbacTest, TokensOfDeletedOrRecreatedServiceAccountsAreRefused) {
  Ok({"create", "serviceaccount", "robot", "-n", "test1"});
  std::string first = Trimmed(Ok({"create", "token", "robot", "-n", "test1"}));
  const std::string kWhoAmI = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
  Json review = {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}};
  auto me = Call(first, "POST", kWhoAmI, review);
  ASSERT_EQ(me.first, 201);
  EXPECT_EQ(me.second["status"]["userInfo"]["username"], "system:serviceaccount:test1:robot");

  Ok({"delete", "serviceaccount", "robot", "-n", "test1"});
  EXPECT_EQ(Call(first, "POST", kWhoAmI, review).first, 401);
  Ok({"create", "serviceaccount", "robot", "-n", "test1"});
  EXPECT_EQ(Call(first, "POST", kWhoAmI, review).first, 401) << "a new account, a new uid";
  std::string second = Trimmed(Ok({"create", "token", "robot", "-n", "test1"}));
  EXPECT_EQ(Call(second, "POST", kWhoAmI, review).first, 201);

  // The TokenRequest API itself: default and minimum lifetimes, unknown accounts.
  const std::string kTokenPath = "/api/v1/namespaces/test1/serviceaccounts/robot/token";
  auto issued = Call(Token(), "POST", kTokenPath, {{"spec", Json::object()}});
  ASSERT_EQ(issued.first, 201);
  EXPECT_EQ(issued.second["kind"], "TokenRequest");
  EXPECT_EQ(issued.second["spec"]["expirationSeconds"], 3600);
  EXPECT_FALSE(issued.second["status"]["expirationTimestamp"].get<std::string>().empty());
  auto too_short = Call(Token(), "POST", kTokenPath, {{"spec", {{"expirationSeconds", 60}}}});
  EXPECT_EQ(too_short.first, 422);
  EXPECT_NE(too_short.second["message"].get<std::string>().find("spec.expirationSeconds"),
            std::string::npos);
  EXPECT_EQ(Call(Token(), "POST", "/api/v1/namespaces/test1/serviceaccounts/nobody/token",
                 {{"spec", Json::object()}})
                .first,
            404);
  // The record etcd keeps is not reachable through the API, and holds no token.
  EXPECT_EQ(testing::FileContents(dir_.path() + "/brixd.log").find(second), std::string::npos);
}

// In process, with plain HTTP: the controllers' token is only in memory.
class JobAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = brix::testing::EtcdServer::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
    etcd_ = std::move(*etcd);
    ServerOptions options;
    options.etcd_endpoint = etcd_->endpoint();
    options.token = "admin-token";
    auto server = ApiServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  std::pair<int, Json> Send(const std::string& token, const std::string& method,
                            const std::string& path, const Json& body,
                            const std::string& type = "application/json") {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_bearer_token_auth(token.c_str());
    httplib::Result r = method == "POST"  ? c.Post(path, body.dump(), type)
                        : method == "PUT" ? c.Put(path, body.dump(), type)
                                          : c.Patch(path, body.dump(), type);
    EXPECT_TRUE(r);
    if (!r) return {0, nullptr};
    return {r->status, Json::parse(r->body, nullptr, false)};
  }

  static Json Job(const std::string& name, bool marked) {
    Json job = {{"metadata", {{"name", name}}},
                {"spec",
                 {{"template",
                   {{"spec",
                     {{"containers", {{{"name", "c"}, {"image", "brix"}, {"command", {"true"}}}}},
                      {"restartPolicy", "Never"}}}}}}}};
    if (marked) job["metadata"]["annotations"][api::kJobKindAnnotation] = "backup";
    return job;
  }

  std::unique_ptr<brix::testing::EtcdServer> etcd_;
  std::unique_ptr<ApiServer> server_;
};

const char kJobs[] = "/apis/batch/v1/namespaces/test1/jobs";

TEST_F(JobAdmissionTest, OnlyTheControllersMayWriteTheJobKindMarker) {
  const std::string controller = server_->controller_token();
  ASSERT_FALSE(controller.empty());
  ASSERT_NE(controller, "admin-token");
  auto refused = Send("admin-token", "POST", kJobs, Job("j1", true));
  EXPECT_EQ(refused.first, 403);
  EXPECT_EQ(refused.second["reason"], "Forbidden");
  EXPECT_NE(refused.second["message"].get<std::string>().find(
                std::string("jobs.batch \"j1\" is forbidden: the annotation \"") +
                api::kJobKindAnnotation + "\" is reserved for brix's controllers"),
            std::string::npos)
      << refused.second.dump();
  EXPECT_EQ(Send(controller, "POST", kJobs, Job("j1", true)).first, 201);
  EXPECT_EQ(Send("admin-token", "POST", kJobs, Job("j2", false)).first, 201);

  Json mark = {{"metadata", {{"annotations", {{api::kJobKindAnnotation, "restore"}}}}}};
  Json unmark = {{"metadata", {{"annotations", {{api::kJobKindAnnotation, nullptr}}}}}};
  for (const char* job : {"j1", "j2"}) {
    std::string path = std::string(kJobs) + "/" + job;
    EXPECT_EQ(Send("admin-token", "PATCH", path, mark, "application/merge-patch+json").first, 403)
        << job;
    EXPECT_EQ(Send("admin-token", "PATCH", path, unmark, "application/merge-patch+json").first,
              std::string(job) == "j1" ? 403 : 200)
        << job;
  }
  // Other metadata stays writable.
  EXPECT_EQ(Send("admin-token", "PATCH", std::string(kJobs) + "/j1",
                 {{"metadata", {{"labels", {{"a", "b"}}}}}}, "application/merge-patch+json")
                .first,
            200);
}

TEST_F(JobAdmissionTest, TemplateIsImmutableForEveryone) {
  ASSERT_EQ(Send(server_->controller_token(), "POST", kJobs, Job("j1", true)).first, 201);
  Json change = {
      {"spec",
       {{"template",
         {{"spec",
           {{"containers", {{{"name", "c"}, {"image", "evil"}, {"command", {"sh"}}}}}}}}}}}};
  for (const std::string& token : {std::string("admin-token"), server_->controller_token()}) {
    auto r = Send(token, "PATCH", std::string(kJobs) + "/j1", change,
                  "application/strategic-merge-patch+json");
    EXPECT_EQ(r.first, 422);
    EXPECT_EQ(r.second["reason"], "Invalid");
    EXPECT_NE(r.second["message"].get<std::string>().find("spec.template: Invalid value"),
              std::string::npos);
    EXPECT_NE(r.second["message"].get<std::string>().find("field is immutable"), std::string::npos)
        << r.second.dump();
  }
}

}  // namespace
}  // namespace brix::apiserver
