#include "operator/apiserver/rbac.h"

#include <algorithm>

#include "operator/api/types.h"

namespace brix::apiserver {

namespace {

constexpr char kAll[] = "*";

bool Has(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::vector<std::string> Strings(const Json& object, const char* field) {
  std::vector<std::string> out;
  if (!object.is_object() || !object.contains(field) || !object[field].is_array()) return out;
  for (const auto& v : object[field]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// Kubernetes' bootstrap policy granted to every authenticated user: system:discovery,
// system:public-info-viewer and system:basic-user.
const std::vector<PolicyRule>& BuiltInAuthenticatedRules() {
  static const std::vector<PolicyRule> rules = {
      {{"get"},
       {},
       {},
       {},
       {"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
        "/readyz", "/version", "/version/"}},
      {{"create"},
       {"authorization.k8s.io"},
       {"selfsubjectaccessreviews", "selfsubjectrulesreviews"},
       {},
       {}},
      {{"create"}, {"authentication.k8s.io"}, {"selfsubjectreviews"}, {}, {}},
  };
  return rules;
}

bool ResourceMatches(const PolicyRule& rule, const std::string& combined,
                     const std::string& subresource) {
  for (const auto& r : rule.resources) {
    if (r == kAll || r == combined) return true;
    if (!subresource.empty() && r.size() == subresource.size() + 2 && r.starts_with("*/") &&
        r.ends_with(subresource)) {
      return true;
    }
  }
  return false;
}

bool NonResourceUrlMatches(const PolicyRule& rule, const std::string& path) {
  for (const auto& u : rule.non_resource_urls) {
    if (u == kAll || u == path) return true;
    if (u.ends_with("*") && path.starts_with(u.substr(0, u.size() - 1))) return true;
  }
  return false;
}

// Whether one owner rule covers one requested rule (Kubernetes' ruleCovers on a broken-down,
// single-valued rule).
bool RuleCovers(const PolicyRule& owner, const PolicyRule& sub) {
  auto has_all = [](const std::vector<std::string>& have, const std::vector<std::string>& want) {
    return std::all_of(want.begin(), want.end(), [&](const auto& w) { return Has(have, w); });
  };
  bool verbs = Has(owner.verbs, kAll) || has_all(owner.verbs, sub.verbs);
  bool groups = Has(owner.api_groups, kAll) || has_all(owner.api_groups, sub.api_groups);
  bool resources = Has(owner.resources, kAll) ||
                   std::all_of(sub.resources.begin(), sub.resources.end(), [&](const auto& r) {
                     if (Has(owner.resources, r)) return true;
                     size_t slash = r.find('/');
                     if (slash == std::string::npos) return false;
                     // Appended, not `"*" + r.substr(...)`: GCC 12 at -O3 reports a false
                     // -Wrestrict inside libstdc++'s operator+(const char*, string&&) (GCC bug
                     // 105651).
                     std::string any_parent = "*";
                     any_parent += r.substr(slash);
                     return Has(owner.resources, any_parent);
                   });
  bool urls = std::all_of(
      sub.non_resource_urls.begin(), sub.non_resource_urls.end(), [&](const std::string& want) {
        return std::any_of(
            owner.non_resource_urls.begin(), owner.non_resource_urls.end(),
            [&](const std::string& o) {
              return o == want || (o.ends_with("*") && want.starts_with(o.substr(0, o.size() - 1)));
            });
      });
  bool names = sub.resource_names.empty() ? owner.resource_names.empty()
                                          : owner.resource_names.empty() ||
                                                has_all(owner.resource_names, sub.resource_names);
  return verbs && groups && resources && urls && names;
}

// A rule split into rules of one verb, group, resource and name (or one verb and URL).
std::vector<PolicyRule> BreakDown(const PolicyRule& rule) {
  std::vector<PolicyRule> out;
  for (const auto& group : rule.api_groups) {
    for (const auto& resource : rule.resources) {
      for (const auto& verb : rule.verbs) {
        if (rule.resource_names.empty()) {
          out.push_back({{verb}, {group}, {resource}, {}, {}});
        }
        for (const auto& name : rule.resource_names) {
          out.push_back({{verb}, {group}, {resource}, {name}, {}});
        }
      }
    }
  }
  for (const auto& url : rule.non_resource_urls) {
    for (const auto& verb : rule.verbs) out.push_back({{verb}, {}, {}, {}, {url}});
  }
  return out;
}

}  // namespace

bool UserInfo::InGroup(const std::string& group) const { return Has(groups, group); }

Json UserInfo::ToJson() const { return {{"username", name}, {"groups", groups}}; }

PolicyRule PolicyRule::FromJson(const Json& rule) {
  return {Strings(rule, "verbs"), Strings(rule, "apiGroups"), Strings(rule, "resources"),
          Strings(rule, "resourceNames"), Strings(rule, "nonResourceURLs")};
}

Binding Binding::FromJson(const Json& binding, const std::string& ns) {
  Binding b;
  b.ns = ns;
  if (binding.is_object() && binding.contains("metadata")) {
    b.name = api::StringField(binding["metadata"], "name");
  }
  if (binding.is_object() && binding.contains("roleRef")) {
    b.role_kind = api::StringField(binding["roleRef"], "kind");
    b.role_name = api::StringField(binding["roleRef"], "name");
  }
  if (binding.is_object() && binding.contains("subjects") && binding["subjects"].is_array()) {
    for (const auto& s : binding["subjects"]) {
      b.subjects.push_back({api::StringField(s, "kind"), api::StringField(s, "name"),
                            api::StringField(s, "namespace")});
    }
  }
  return b;
}

void RbacPolicy::AddRole(const std::string& ns, const Json& role) {
  std::vector<PolicyRule> rules;
  if (role.is_object() && role.contains("rules") && role["rules"].is_array()) {
    for (const auto& r : role["rules"]) rules.push_back(PolicyRule::FromJson(r));
  }
  std::string name = role.is_object() && role.contains("metadata")
                         ? api::StringField(role["metadata"], "name")
                         : std::string();
  if (ns.empty()) {
    cluster_roles[name] = std::move(rules);
  } else {
    roles[{ns, name}] = std::move(rules);
  }
}

std::string ServiceAccountUserName(const std::string& ns, const std::string& name) {
  return "system:serviceaccount:" + ns + ":" + name;
}

UserInfo ServiceAccountUser(const std::string& ns, const std::string& name) {
  return {ServiceAccountUserName(ns, name),
          {"system:serviceaccounts", "system:serviceaccounts:" + ns, kSystemAuthenticated}};
}

bool RuleAllows(const RequestAttributes& request, const PolicyRule& rule) {
  if (!Has(rule.verbs, kAll) && !Has(rule.verbs, request.verb)) return false;
  if (!request.resource_request) return NonResourceUrlMatches(rule, request.path);
  if (!Has(rule.api_groups, kAll) && !Has(rule.api_groups, request.api_group)) return false;
  std::string combined = request.resource;
  if (!request.subresource.empty()) combined += "/" + request.subresource;
  if (!ResourceMatches(rule, combined, request.subresource)) return false;
  return rule.resource_names.empty() || Has(rule.resource_names, request.name);
}

bool SubjectMatches(const UserInfo& user, const Subject& subject, const std::string& binding_ns) {
  if (subject.kind == "User") return user.name == subject.name;
  if (subject.kind == "Group") return user.InGroup(subject.name);
  if (subject.kind == "ServiceAccount") {
    std::string ns = subject.ns.empty() ? binding_ns : subject.ns;
    return !ns.empty() && user.name == ServiceAccountUserName(ns, subject.name);
  }
  return false;
}

std::vector<PolicyRule> RulesFor(const UserInfo& user, const std::string& ns,
                                 const RbacPolicy& policy) {
  std::vector<PolicyRule> out;
  if (user.InGroup(kSystemAuthenticated)) out = BuiltInAuthenticatedRules();
  for (const auto& b : policy.bindings) {
    // A ClusterRoleBinding applies everywhere, a RoleBinding in its own namespace only.
    if (!b.ns.empty() && b.ns != ns) continue;
    bool applies = std::any_of(b.subjects.begin(), b.subjects.end(),
                               [&](const Subject& s) { return SubjectMatches(user, s, b.ns); });
    if (!applies) continue;
    const std::vector<PolicyRule>* rules = nullptr;
    if (b.role_kind == "ClusterRole") {
      auto it = policy.cluster_roles.find(b.role_name);
      if (it != policy.cluster_roles.end()) rules = &it->second;
    } else if (b.role_kind == "Role" && !b.ns.empty()) {
      auto it = policy.roles.find({b.ns, b.role_name});
      if (it != policy.roles.end()) rules = &it->second;
    }
    if (rules != nullptr) out.insert(out.end(), rules->begin(), rules->end());
  }
  return out;
}

bool Allowed(const UserInfo& user, const RequestAttributes& request, const RbacPolicy& policy) {
  if (user.InGroup(kSystemMasters)) return true;
  std::vector<PolicyRule> rules =
      RulesFor(user, request.resource_request ? request.ns : "", policy);
  return std::any_of(rules.begin(), rules.end(),
                     [&](const PolicyRule& r) { return RuleAllows(request, r); });
}

bool RulesCover(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& requested) {
  for (const auto& rule : requested) {
    for (const auto& atom : BreakDown(rule)) {
      bool covered = std::any_of(owner.begin(), owner.end(),
                                 [&](const PolicyRule& o) { return RuleCovers(o, atom); });
      if (!covered) return false;
    }
  }
  return true;
}

std::string ForbiddenMessage(const UserInfo& user, const RequestAttributes& request) {
  std::string head = "User \"" + user.name + "\" cannot " + request.verb;
  if (!request.resource_request) return head + " path \"" + request.path + "\"";
  std::string resource = request.resource;
  if (!request.subresource.empty()) resource += "/" + request.subresource;
  head += " resource \"" + resource + "\" in API group \"" + request.api_group + "\"";
  if (!request.ns.empty()) return head + " in the namespace \"" + request.ns + "\"";
  return head + " at the cluster scope";
}

}  // namespace brix::apiserver
