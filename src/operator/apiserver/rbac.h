// RBAC as the Kubernetes API server evaluates it (k8s.io/kubernetes plugin/pkg/auth/authorizer/
// rbac), as pure functions over a snapshot of the policy objects, so that it is unit-testable
// without a server.
//
// - A request is allowed when any rule reachable from the user allows it: ClusterRoleBindings
//   (rules of their ClusterRole) for every request, and, for a namespaced request, the
//   RoleBindings of that namespace (rules of their Role in that namespace or of a ClusterRole).
// - A rule matches on verbs ("*"), apiGroups ("*"), resources ("*" matches subresources too,
//   "res/sub" a subresource, "*/sub" a subresource of any resource), resourceNames (empty: any),
//   or, for non-resource requests, nonResourceURLs (exact, "*", or a "prefix*").
// - Subjects: User (by name), Group (by membership), ServiceAccount (user name
//   system:serviceaccount:<ns>:<name>; its namespace defaults to the binding's namespace, as
//   kubectl writes RoleBindings; a ClusterRoleBinding's SA subject needs a namespace).
// - Members of system:masters are allowed everything, as Kubernetes' privileged-group authorizer
//   does before RBAC. Every authenticated user holds the built-in system:discovery and
//   system:basic-user rules (discovery paths, SelfSubjectAccessReview, SelfSubjectReview).
// - A denial names the request exactly as Kubernetes does (ForbiddenMessage).
//
// Role escalation checks (Kubernetes' "escalate"/"bind" verbs): RulesCover tells whether a set of
// rules covers another, as Kubernetes' ConfirmNoEscalation does.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace brix::apiserver {

using Json = nlohmann::json;

inline constexpr char kSystemMasters[] = "system:masters";
inline constexpr char kSystemAuthenticated[] = "system:authenticated";

// Who is calling (authenticated).
struct UserInfo {
  std::string name;
  std::vector<std::string> groups;

  bool InGroup(const std::string& group) const;
  Json ToJson() const;  // {"username", "groups"} as authentication.k8s.io UserInfo
};

// What a request asks for (Kubernetes' authorizer.Attributes).
struct RequestAttributes {
  std::string verb;  // get list watch create update patch delete deletecollection (or escalate..)
  bool resource_request = true;
  // Resource requests:
  std::string api_group;    // "" for core
  std::string resource;     // "backups"
  std::string subresource;  // "status", "token"
  std::string ns;           // "" at the cluster scope
  std::string name;         // "" for collections
  // Non-resource requests (discovery):
  std::string path;
};

struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  // From a Role's or ClusterRole's rules[] entry; absent members are empty.
  static PolicyRule FromJson(const Json& rule);
};

struct Subject {
  std::string kind;  // User, Group, ServiceAccount
  std::string name;
  std::string ns;  // ServiceAccount only; "" = the binding's namespace
};

struct Binding {
  std::string ns;  // "" for a ClusterRoleBinding
  std::string name;
  std::string role_kind;  // Role or ClusterRole
  std::string role_name;
  std::vector<Subject> subjects;

  // From a RoleBinding (ns = its namespace) or ClusterRoleBinding (ns = "").
  static Binding FromJson(const Json& binding, const std::string& ns);
};

// The policy objects a decision needs.
struct RbacPolicy {
  std::map<std::pair<std::string, std::string>, std::vector<PolicyRule>> roles;  // (ns, name)
  std::map<std::string, std::vector<PolicyRule>> cluster_roles;
  std::vector<Binding> bindings;  // RoleBindings and ClusterRoleBindings

  void AddRole(const std::string& ns, const Json& role);  // ns "" for a ClusterRole
};

// "system:serviceaccount:<ns>:<name>" and its groups.
std::string ServiceAccountUserName(const std::string& ns, const std::string& name);
UserInfo ServiceAccountUser(const std::string& ns, const std::string& name);

bool RuleAllows(const RequestAttributes& request, const PolicyRule& rule);
// Whether `subject` of a binding in `binding_ns` ("" for a ClusterRoleBinding) names `user`.
bool SubjectMatches(const UserInfo& user, const Subject& subject, const std::string& binding_ns);
// Every rule that applies to `user` in namespace `ns` ("" : cluster-wide rules only), built-in
// rules included.
std::vector<PolicyRule> RulesFor(const UserInfo& user, const std::string& ns,
                                 const RbacPolicy& policy);
bool Allowed(const UserInfo& user, const RequestAttributes& request, const RbacPolicy& policy);
// Whether `owner` rules cover every verb/group/resource/name/URL `requested` grants.
bool RulesCover(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& requested);

// `User "u" cannot get resource "secrets" in API group "" in the namespace "test1"`
// (or `... at the cluster scope`, or `User "u" cannot get path "/x"`).
std::string ForbiddenMessage(const UserInfo& user, const RequestAttributes& request);

}  // namespace brix::apiserver
