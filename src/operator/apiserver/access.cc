#include "operator/apiserver/access.h"

#include <algorithm>

#include "common/time_util.h"
#include "operator/api/job_kind.h"
#include "operator/api/types.h"

namespace brix::apiserver {

namespace {

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

const api::ResourceInfo& Rbac(const char* plural) {
  return *api::FindResource(kRbacGroup, "v1", plural);
}

// "secrets" or "backups.br.pingcap.com", as Kubernetes' GroupResource prints.
std::string QualifiedResource(const std::string& group, const std::string& resource) {
  return group.empty() ? resource : resource + "." + group;
}

ApiError ForbiddenError(const std::string& group, const std::string& resource,
                        const std::string& name, const std::string& why) {
  std::string qualified = QualifiedResource(group, resource);
  std::string message = name.empty() ? qualified + " is forbidden: " + why
                                     : qualified + " \"" + name + "\" is forbidden: " + why;
  // Like Kubernetes' StatusDetails, empty members are left out.
  Json details = {{"kind", resource}};
  if (!name.empty()) details["name"] = name;
  if (!group.empty()) details["group"] = group;
  return {403, "Forbidden", std::move(message), std::move(details)};
}

std::string Annotation(const Json& object, const char* key) {
  if (!object.contains("metadata") || !object["metadata"].is_object()) return "";
  const Json& meta = object["metadata"];
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) return "";
  return api::StringField(meta["annotations"], key);
}

bool HasAnnotation(const Json& object, const char* key) {
  return object.contains("metadata") && object["metadata"].is_object() &&
         object["metadata"].contains("annotations") &&
         object["metadata"]["annotations"].is_object() &&
         object["metadata"]["annotations"].contains(key);
}

Json TemplateOf(const Json& job) {
  if (!job.contains("spec") || !job["spec"].is_object()) return nullptr;
  return job["spec"].value("template", Json(nullptr));
}

std::string GroupsText(const UserInfo& user) {
  std::string out;
  for (const auto& g : user.groups) out += (out.empty() ? "\"" : " \"") + g + "\"";
  return "[" + out + "]";
}

}  // namespace

ApiError Forbidden(const UserInfo& user, const RequestAttributes& request) {
  if (!request.resource_request) {
    return {403, "Forbidden", "forbidden: " + ForbiddenMessage(user, request), nullptr};
  }
  return ForbiddenError(request.api_group, request.resource, request.name,
                        ForbiddenMessage(user, request));
}

AccessControl::AccessControl(etcd::EtcdClient* etcd, Registry* registry, std::string admin_token,
                             std::string controller_token)
    : registry_(registry),
      tokens_(etcd),
      authenticator_(std::move(admin_token), std::move(controller_token), &tokens_) {}

ApiResult<UserInfo> AccessControl::Authenticate(const std::string& authorization_header) {
  auto user = authenticator_.Authenticate(authorization_header);
  if (!user.ok()) return ApiError::FromStatus(user.status());
  if (!user->has_value()) {
    return ApiError{401, "Unauthorized", "Unauthorized", nullptr};
  }
  return **user;
}

ApiResult<RbacPolicy> AccessControl::LoadPolicy(const std::string& ns) {
  RbacPolicy policy;
  BRIX_API_ASSIGN_OR_RETURN(auto cluster_roles, registry_->List(Rbac("clusterroles"), ""));
  for (const auto& r : cluster_roles.items) policy.AddRole("", r);
  BRIX_API_ASSIGN_OR_RETURN(auto crbs, registry_->List(Rbac("clusterrolebindings"), ""));
  for (const auto& b : crbs.items) policy.bindings.push_back(Binding::FromJson(b, ""));
  if (!ns.empty()) {
    BRIX_API_ASSIGN_OR_RETURN(auto roles, registry_->List(Rbac("roles"), ns));
    for (const auto& r : roles.items) policy.AddRole(ns, r);
    BRIX_API_ASSIGN_OR_RETURN(auto rbs, registry_->List(Rbac("rolebindings"), ns));
    for (const auto& b : rbs.items) policy.bindings.push_back(Binding::FromJson(b, ns));
  }
  return policy;
}

std::optional<ApiError> AccessControl::Authorize(const UserInfo& user,
                                                 const RequestAttributes& request) {
  if (user.InGroup(kSystemMasters)) return std::nullopt;
  auto policy = LoadPolicy(request.resource_request ? request.ns : "");
  if (!policy.ok()) return policy.error();
  if (Allowed(user, request, policy.value())) return std::nullopt;
  return Forbidden(user, request);
}

ApiResult<Json> AccessControl::CreateToken(const std::string& ns, const std::string& name,
                                           const Json& body) {
  static const api::ResourceInfo kTokenRequest = [] {
    api::ResourceInfo info;
    info.group = "authentication.k8s.io";
    info.version = "v1";
    info.plural = "tokenrequests";
    info.kind = "TokenRequest";
    return info;
  }();
  if (!body.is_object()) return ApiError::BadRequest("the request body must be a JSON object");
  Json spec = body.contains("spec") && body["spec"].is_object() ? body["spec"] : Json::object();
  std::chrono::seconds ttl = kDefaultTokenTtl;
  if (spec.contains("expirationSeconds") && !spec["expirationSeconds"].is_null()) {
    const Json& v = spec["expirationSeconds"];
    if (!v.is_number_integer() || v.get<int64_t>() < kMinTokenTtl.count()) {
      return ApiError::Invalid(kTokenRequest, name,
                               {{api::FieldError::Type::kInvalid, "spec.expirationSeconds", v,
                                 "may not specify a duration less than 10 minutes"}});
    }
    // Longer asks are capped, as --service-account-max-token-expiration does.
    ttl = std::min(std::chrono::seconds(v.get<int64_t>()), kMaxTokenTtl);
  }
  BRIX_API_ASSIGN_OR_RETURN(IssuedToken issued, tokens_.Issue(ns, name, ttl));
  if (!spec.contains("audiences") || !spec["audiences"].is_array() || spec["audiences"].empty()) {
    spec["audiences"] = {"brixd"};
  }
  spec["expirationSeconds"] = ttl.count();
  if (!spec.contains("boundObjectRef")) spec["boundObjectRef"] = nullptr;
  return Json{
      {"kind", "TokenRequest"},
      {"apiVersion", "authentication.k8s.io/v1"},
      {"metadata",
       {{"name", name},
        {"namespace", ns},
        {"creationTimestamp", FormatIso8601(std::chrono::system_clock::now())}}},
      {"spec", spec},
      {"status",
       {{"token", issued.token},
        {"expirationTimestamp",
         FormatIso8601(std::chrono::time_point_cast<std::chrono::seconds>(issued.expires))}}}};
}

ApiResult<Json> AccessControl::SelfSubjectAccessReview(const UserInfo& user, const Json& body) {
  if (!body.is_object() || !body.contains("spec") || !body["spec"].is_object()) {
    return ApiError::BadRequest("a SelfSubjectAccessReview needs a spec");
  }
  const Json& spec = body["spec"];
  RequestAttributes request;
  if (spec.contains("resourceAttributes") && spec["resourceAttributes"].is_object()) {
    const Json& a = spec["resourceAttributes"];
    request.verb = api::StringField(a, "verb");
    request.api_group = api::StringField(a, "group");
    request.resource = api::StringField(a, "resource");
    request.subresource = api::StringField(a, "subresource");
    request.ns = api::StringField(a, "namespace");
    request.name = api::StringField(a, "name");
  } else if (spec.contains("nonResourceAttributes") && spec["nonResourceAttributes"].is_object()) {
    request.resource_request = false;
    request.verb = api::StringField(spec["nonResourceAttributes"], "verb");
    request.path = api::StringField(spec["nonResourceAttributes"], "path");
  } else {
    return ApiError::BadRequest(
        "spec.resourceAttributes or spec.nonResourceAttributes is required");
  }
  bool allowed = true;
  if (!user.InGroup(kSystemMasters)) {
    BRIX_API_ASSIGN_OR_RETURN(RbacPolicy policy,
                              LoadPolicy(request.resource_request ? request.ns : ""));
    allowed = Allowed(user, request, policy);
  }
  // No reason on a denial, as Kubernetes' RBAC gives none (kubectl prints a bare "no").
  Json status = {{"allowed", allowed}};
  return Json{{"kind", "SelfSubjectAccessReview"},
              {"apiVersion", "authorization.k8s.io/v1"},
              {"metadata", {{"creationTimestamp", nullptr}}},
              {"spec", spec},
              {"status", status}};
}

Json AccessControl::SelfSubjectReview(const UserInfo& user) const {
  return {{"kind", "SelfSubjectReview"},
          {"apiVersion", "authentication.k8s.io/v1"},
          {"metadata", {{"creationTimestamp", nullptr}}},
          {"status", {{"userInfo", user.ToJson()}}}};
}

std::optional<ApiError> AccessControl::CheckJob(const UserInfo& user, const api::ResourceInfo& info,
                                                const Json* current, const Json& updated) {
  std::string name = updated["metadata"].value("name", "");
  bool had = current != nullptr && HasAnnotation(*current, api::kJobKindAnnotation);
  bool has = HasAnnotation(updated, api::kJobKindAnnotation);
  bool changed = had != has || (has && Annotation(*current, api::kJobKindAnnotation) !=
                                           Annotation(updated, api::kJobKindAnnotation));
  bool creator =
      user.name == kControllerUser ||
      std::find(job_creators_.begin(), job_creators_.end(), user.name) != job_creators_.end();
  if (changed && !creator) {
    return ForbiddenError(info.group, info.plural, name,
                          std::string("the annotation \"") + api::kJobKindAnnotation +
                              "\" is reserved for brix's controllers; user \"" + user.name +
                              "\" may not set, change or remove it");
  }
  if (current != nullptr && TemplateOf(*current) != TemplateOf(updated)) {
    return ApiError::Invalid(info, name,
                             {{api::FieldError::Type::kInvalid, "spec.template",
                               TemplateOf(updated), "field is immutable"}});
  }
  return std::nullopt;
}

std::optional<ApiError> AccessControl::CheckEscalation(const UserInfo& user,
                                                       const api::ResourceInfo& info,
                                                       const std::string& ns, const Json& updated) {
  std::string name = updated["metadata"].value("name", "");
  auto policy = LoadPolicy(ns);
  if (!policy.ok()) return policy.error();
  std::vector<PolicyRule> held = RulesFor(user, ns, policy.value());
  std::vector<PolicyRule> granted;
  RequestAttributes waiver{"escalate", true, kRbacGroup, info.plural, "", ns, name, ""};
  if (info.kind == "Role" || info.kind == "ClusterRole") {
    if (updated.contains("rules") && updated["rules"].is_array()) {
      for (const auto& r : updated["rules"]) granted.push_back(PolicyRule::FromJson(r));
    }
  } else {
    Binding b = Binding::FromJson(updated, ns);
    if (b.role_kind == "ClusterRole") {
      auto it = policy.value().cluster_roles.find(b.role_name);
      if (it != policy.value().cluster_roles.end()) granted = it->second;
    } else if (b.role_kind == "Role" && !ns.empty()) {
      auto it = policy.value().roles.find({ns, b.role_name});
      if (it != policy.value().roles.end()) granted = it->second;
    }
    waiver.verb = "bind";
    waiver.resource = b.role_kind == "ClusterRole" ? "clusterroles" : "roles";
    waiver.name = b.role_name;
  }
  if (Allowed(user, waiver, policy.value()) || RulesCover(held, granted)) return std::nullopt;
  return ForbiddenError(info.group, info.plural, name,
                        "user \"" + user.name + "\" (groups=" + GroupsText(user) +
                            ") is attempting to grant RBAC permissions not currently held");
}

AdmissionCheck AccessControl::AdmissionFor(const UserInfo& user, const api::ResourceInfo& info,
                                           const std::string& ns) {
  if (info.group == "batch" && info.kind == "Job") {
    return [this, user, &info](const Json* current, const Json& updated) {
      return CheckJob(user, info, current, updated);
    };
  }
  if (info.group == kRbacGroup && !user.InGroup(kSystemMasters)) {
    return [this, user, &info, ns](const Json*, const Json& updated) {
      return CheckEscalation(user, info, ns, updated);
    };
  }
  return nullptr;
}

}  // namespace brix::apiserver
