// The RBAC evaluator and the token records as pure functions: table-driven cases that follow
// Kubernetes' rule matching, binding resolution and denial messages.
#include "operator/apiserver/rbac.h"

#include <gtest/gtest.h>

#include "operator/apiserver/authn.h"

namespace brix::apiserver {
namespace {

using namespace std::chrono_literals;

RequestAttributes Req(std::string verb, std::string group, std::string resource,
                      std::string ns = "test1", std::string name = "", std::string sub = "") {
  return {std::move(verb), true,          std::move(group), std::move(resource),
          std::move(sub),  std::move(ns), std::move(name),  ""};
}

struct RuleCase {
  const char* what;
  Json rule;
  RequestAttributes request;
  bool allowed;
};

TEST(RbacRuleTest, MatchesVerbsGroupsResourcesSubresourcesAndNames) {
  const Json seed_br = {{"apiGroups", {"br.pingcap.com"}},
                        {"resources", {"*"}},
                        {"verbs", {"get", "watch", "list", "update"}}};
  const Json events = {{"apiGroups", {""}}, {"resources", {"events"}}, {"verbs", {"*"}}};
  const std::vector<RuleCase> cases = {
      {"listed verb", seed_br, Req("get", "br.pingcap.com", "backups"), true},
      {"unlisted verb", seed_br, Req("patch", "br.pingcap.com", "backups"), false},
      {"* resource covers a subresource", seed_br,
       Req("update", "br.pingcap.com", "backups", "test1", "b", "status"), true},
      {"other group", seed_br, Req("get", "", "secrets"), false},
      {"core group is the empty string", events, Req("create", "", "events"), true},
      {"* verb", events, Req("deletecollection", "", "events"), true},
      {"other resource in the group", events, Req("get", "", "secrets"), false},
      {"* group",
       {{"apiGroups", {"*"}}, {"resources", {"jobs"}}, {"verbs", {"get"}}},
       Req("get", "batch", "jobs"),
       true},
      {"plain resource does not cover its subresource",
       {{"apiGroups", {"br.pingcap.com"}}, {"resources", {"backups"}}, {"verbs", {"update"}}},
       Req("update", "br.pingcap.com", "backups", "test1", "b", "status"),
       false},
      {"res/sub names the subresource",
       {{"apiGroups", {"br.pingcap.com"}},
        {"resources", {"backups/status"}},
        {"verbs", {"update"}}},
       Req("update", "br.pingcap.com", "backups", "test1", "b", "status"),
       true},
      {"res/sub does not cover the resource",
       {{"apiGroups", {"br.pingcap.com"}},
        {"resources", {"backups/status"}},
        {"verbs", {"update"}}},
       Req("update", "br.pingcap.com", "backups", "test1", "b"),
       false},
      {"*/sub covers that subresource of any resource",
       {{"apiGroups", {"*"}}, {"resources", {"*/status"}}, {"verbs", {"get"}}},
       Req("get", "batch", "jobs", "test1", "j", "status"),
       true},
      {"resourceNames allow the named object",
       {{"apiGroups", {""}},
        {"resources", {"secrets"}},
        {"resourceNames", {"azblob-secret"}},
        {"verbs", {"get"}}},
       Req("get", "", "secrets", "test1", "azblob-secret"),
       true},
      {"resourceNames refuse another object",
       {{"apiGroups", {""}},
        {"resources", {"secrets"}},
        {"resourceNames", {"azblob-secret"}},
        {"verbs", {"get"}}},
       Req("get", "", "secrets", "test1", "other"),
       false},
      {"resourceNames refuse a list (no name)",
       {{"apiGroups", {""}},
        {"resources", {"secrets"}},
        {"resourceNames", {"azblob-secret"}},
        {"verbs", {"list"}}},
       Req("list", "", "secrets"),
       false},
      {"the token subresource",
       {{"apiGroups", {""}}, {"resources", {"serviceaccounts/token"}}, {"verbs", {"create"}}},
       Req("create", "", "serviceaccounts", "test1", "sa", "token"),
       true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RuleAllows(c.request, PolicyRule::FromJson(c.rule)), c.allowed) << c.what;
  }
  RequestAttributes path;
  path.verb = "get";
  path.resource_request = false;
  path.path = "/apis/br.pingcap.com/v1alpha1";
  EXPECT_TRUE(RuleAllows(
      path, PolicyRule::FromJson({{"verbs", {"get"}}, {"nonResourceURLs", {"/apis/*"}}})));
  EXPECT_FALSE(
      RuleAllows(path, PolicyRule::FromJson({{"verbs", {"get"}}, {"nonResourceURLs", {"/api"}}})));
}

// The seed's rbac.yaml, applied in test1, as the policy objects.
RbacPolicy SeedPolicy() {
  RbacPolicy p;
  p.AddRole("test1", {{"metadata", {{"name", "tidb-backup-manager"}}},
                      {"rules",
                       {{{"apiGroups", {""}}, {"resources", {"events"}}, {"verbs", {"*"}}},
                        {{"apiGroups", {"br.pingcap.com"}},
                         {"resources", {"*"}},
                         {"verbs", {"get", "watch", "list", "update"}}}}}});
  p.bindings.push_back(Binding::FromJson(
      {{"metadata", {{"name", "tidb-backup-manager"}}},
       {"subjects", {{{"kind", "ServiceAccount"}, {"name", "tidb-backup-manager"}}}},
       {"roleRef", {{"kind", "Role"}, {"name", "tidb-backup-manager"}}}},
      "test1"));
  return p;
}

struct BindingCase {
  const char* what;
  UserInfo user;
  RequestAttributes request;
  bool allowed;
};

TEST(RbacBindingTest, RoleBindingsClusterRoleBindingsAndSubjects) {
  RbacPolicy p = SeedPolicy();
  p.AddRole("",
            {{"metadata", {{"name", "secret-reader"}}},
             {"rules", {{{"apiGroups", {""}}, {"resources", {"secrets"}}, {"verbs", {"get"}}}}}});
  // A RoleBinding in test2 granting a ClusterRole: only in test2.
  p.bindings.push_back(
      Binding::FromJson({{"metadata", {{"name", "read-secrets"}}},
                         {"subjects", {{{"kind", "User"}, {"name", "alice"}}}},
                         {"roleRef", {{"kind", "ClusterRole"}, {"name", "secret-reader"}}}},
                        "test2"));
  // A ClusterRoleBinding to a group, and one whose SA subject has no namespace (matches nobody).
  p.AddRole(
      "", {{"metadata", {{"name", "job-viewer"}}},
           {"rules", {{{"apiGroups", {"batch"}}, {"resources", {"jobs"}}, {"verbs", {"list"}}}}}});
  p.bindings.push_back(
      Binding::FromJson({{"metadata", {{"name", "viewers"}}},
                         {"subjects",
                          {{{"kind", "Group"}, {"name", "viewers"}},
                           {{"kind", "ServiceAccount"}, {"name", "tidb-backup-manager"}}}},
                         {"roleRef", {{"kind", "ClusterRole"}, {"name", "job-viewer"}}}},
                        ""));
  // A RoleBinding naming a Role of that name would need it in its own namespace.
  p.bindings.push_back(
      Binding::FromJson({{"metadata", {{"name", "wrong-ns"}}},
                         {"subjects", {{{"kind", "User"}, {"name", "bob"}}}},
                         {"roleRef", {{"kind", "Role"}, {"name", "tidb-backup-manager"}}}},
                        "test2"));
  // An SA subject with an explicit namespace in another namespace's binding.
  p.bindings.push_back(Binding::FromJson(
      {{"metadata", {{"name", "cross"}}},
       {"subjects",
        {{{"kind", "ServiceAccount"}, {"name", "tidb-backup-manager"}, {"namespace", "test1"}}}},
       {"roleRef", {{"kind", "ClusterRole"}, {"name", "secret-reader"}}}},
      "test3"));

  UserInfo sa = ServiceAccountUser("test1", "tidb-backup-manager");
  UserInfo other_sa = ServiceAccountUser("test2", "tidb-backup-manager");
  UserInfo alice{"alice", {kSystemAuthenticated}};
  UserInfo viewer{"carol", {"viewers", kSystemAuthenticated}};
  UserInfo admin{"brix-admin", {kSystemMasters, kSystemAuthenticated}};
  const std::vector<BindingCase> cases = {
      {"seed SA gets backups (SA subject defaults to the binding's namespace)", sa,
       Req("get", "br.pingcap.com", "backups", "test1", "b"), true},
      {"seed SA updates backups/status", sa,
       Req("update", "br.pingcap.com", "backups", "test1", "b", "status"), true},
      {"seed SA creates events", sa, Req("create", "", "events"), true},
      {"seed SA cannot patch backups", sa, Req("patch", "br.pingcap.com", "backups", "test1", "b"),
       false},
      {"seed SA cannot get secrets", sa, Req("get", "", "secrets", "test1", "azblob-secret"),
       false},
      {"seed SA has nothing in another namespace", sa,
       Req("get", "br.pingcap.com", "backups", "test2", "b"), false},
      {"a namesake SA of another namespace is someone else", other_sa,
       Req("get", "br.pingcap.com", "backups", "test1", "b"), false},
      {"RoleBinding to a ClusterRole grants in its namespace", alice,
       Req("get", "", "secrets", "test2", "s"), true},
      {"... and nowhere else", alice, Req("get", "", "secrets", "test1", "s"), false},
      {"... nor at the cluster scope", alice, Req("get", "", "secrets", ""), false},
      {"ClusterRoleBinding to a group applies in every namespace", viewer,
       Req("list", "batch", "jobs", "test9"), true},
      {"... and at the cluster scope", viewer, Req("list", "batch", "jobs", ""), true},
      {"a ClusterRoleBinding SA subject without namespace matches nobody", sa,
       Req("list", "batch", "jobs", "test1"), false},
      {"a RoleBinding cannot reach a Role of another namespace", UserInfo{"bob", {}},
       Req("get", "br.pingcap.com", "backups", "test2", "b"), false},
      {"an SA subject with an explicit namespace", sa, Req("get", "", "secrets", "test3", "s"),
       true},
      {"system:masters may do anything", admin, Req("delete", "", "secrets", "any", "s"), true},
      {"authenticated users may review themselves", alice,
       Req("create", "authorization.k8s.io", "selfsubjectaccessreviews", ""), true},
  };
  for (const auto& c : cases) EXPECT_EQ(Allowed(c.user, c.request, p), c.allowed) << c.what;
}

TEST(RbacMessageTest, DenialsReadAsKubernetesWritesThem) {
  UserInfo sa = ServiceAccountUser("test1", "tidb-backup-manager");
  EXPECT_EQ(sa.name, "system:serviceaccount:test1:tidb-backup-manager");
  EXPECT_EQ(sa.groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:test1",
                                      "system:authenticated"}));
  EXPECT_EQ(ForbiddenMessage(sa, Req("get", "", "secrets", "test1", "azblob-secret")),
            "User \"system:serviceaccount:test1:tidb-backup-manager\" cannot get resource "
            "\"secrets\" in API group \"\" in the namespace \"test1\"");
  EXPECT_EQ(ForbiddenMessage(sa, Req("list", "br.pingcap.com", "backups", "")),
            "User \"system:serviceaccount:test1:tidb-backup-manager\" cannot list resource "
            "\"backups\" in API group \"br.pingcap.com\" at the cluster scope");
  EXPECT_EQ(ForbiddenMessage(sa, Req("patch", "br.pingcap.com", "backups", "test1", "b", "status")),
            "User \"system:serviceaccount:test1:tidb-backup-manager\" cannot patch resource "
            "\"backups/status\" in API group \"br.pingcap.com\" in the namespace \"test1\"");
}

TEST(RbacEscalationTest, RulesCoverOnlyWhatIsHeld) {
  auto rules = [](Json list) {
    std::vector<PolicyRule> out;
    for (const auto& r : list) out.push_back(PolicyRule::FromJson(r));
    return out;
  };
  auto held = rules(Json::array(
      {{{"apiGroups", {"br.pingcap.com"}}, {"resources", {"*"}}, {"verbs", {"get", "list"}}},
       {{"apiGroups", {""}}, {"resources", {"events"}}, {"verbs", {"*"}}}}));
  EXPECT_TRUE(RulesCover(held, rules(Json::array({{{"apiGroups", {"br.pingcap.com"}},
                                                   {"resources", {"backups", "backups/status"}},
                                                   {"verbs", {"get"}}}}))));
  EXPECT_TRUE(RulesCover(
      held,
      rules(Json::array(
          {{{"apiGroups", {""}}, {"resources", {"events"}}, {"verbs", {"create", "patch"}}}}))));
  EXPECT_FALSE(RulesCover(
      held,
      rules(Json::array({{{"apiGroups", {""}}, {"resources", {"secrets"}}, {"verbs", {"get"}}}}))));
  EXPECT_FALSE(RulesCover(
      held,
      rules(Json::array(
          {{{"apiGroups", {"br.pingcap.com"}}, {"resources", {"backups"}}, {"verbs", {"*"}}}}))));
  EXPECT_FALSE(RulesCover(
      held, rules(Json::array(
                {{{"apiGroups", {"*"}}, {"resources", {"backups"}}, {"verbs", {"get"}}}}))));
}

TEST(TokenRecordTest, ValidOnlyUnexpiredForTheSameAccountUid) {
  auto now = std::chrono::system_clock::now();
  int64_t in_an_hour =
      std::chrono::duration_cast<std::chrono::seconds>((now + 1h).time_since_epoch()).count();
  TokenRecord record{"test1", "tidb-backup-manager", "uid-1", in_an_hour};
  auto parsed = TokenRecord::FromJson(record.ToJson());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->uid, "uid-1");
  EXPECT_TRUE(parsed->ValidFor("uid-1", now));
  EXPECT_FALSE(parsed->ValidFor("uid-2", now)) << "a re-created account has a new uid";
  EXPECT_FALSE(parsed->ValidFor(std::nullopt, now)) << "a deleted account";
  EXPECT_FALSE(parsed->ValidFor("uid-1", now + 2h)) << "expired";
  EXPECT_FALSE(TokenRecord::FromJson(Json{{"namespace", "x"}}).has_value());
  EXPECT_EQ(TokenHash("abc").size(), 64u);
  EXPECT_NE(TokenHash("abc"), TokenHash("abd"));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secrets"));
  EXPECT_NE(NewToken(), NewToken());
  EXPECT_EQ(NewToken("p_").size(), 66u);
}

}  // namespace
}  // namespace brix::apiserver
