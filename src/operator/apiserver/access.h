// AccessControl: who may do what through brixd's API, for the HTTP server.
//
// - Authenticate: the caller of a request (authn.h); 401 Unauthorized otherwise.
// - Authorize: RBAC (rbac.h) over the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings
//   stored in the registry, read at every decision (system:masters skips the reads); a denial is
//   403 Forbidden in the Kubernetes Status shape: `secrets "x" is forbidden: User "..." cannot
//   get resource "secrets" in API group "" in the namespace "test1"`, details {name, group, kind}.
// - Endpoints that are not stored kinds: TokenRequest (POST serviceaccounts/<name>/token),
//   SelfSubjectAccessReview (what `kubectl auth can-i` asks, answered by the same evaluator) and
//   SelfSubjectReview (`kubectl auth whoami`).
// - Admission that depends on the caller (WriteOptions::admit):
//   * batch/v1 Job: only the controller identity may set, change or remove the job-kind
//     annotation (api/job_kind.h), 403 otherwise; spec.template is immutable (422 Invalid,
//     "field is immutable"), as Kubernetes has it.
//   * Roles and ClusterRoles: a caller may only grant rules it holds itself, unless it may
//     `escalate` that role; bindings: only to a role whose rules it holds, unless it may `bind`
//     it (Kubernetes' escalation prevention).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcd/etcd_client.h"
#include "operator/apiserver/api_error.h"
#include "operator/apiserver/authn.h"
#include "operator/apiserver/rbac.h"
#include "operator/apiserver/registry.h"

namespace brix::apiserver {

class AccessControl {
 public:
  // `etcd` and `registry` must outlive this object. Empty tokens never match.
  AccessControl(etcd::EtcdClient* etcd, Registry* registry, std::string admin_token,
                std::string controller_token);

  // Users besides system:brix-controller allowed to set the job-kind annotation.
  void AllowJobCreators(std::vector<std::string> users) { job_creators_ = std::move(users); }

  // The caller of a request with this `Authorization` header; 401 when unauthenticated, 503 when
  // etcd cannot answer.
  ApiResult<UserInfo> Authenticate(const std::string& authorization_header);
  // nullopt when allowed; otherwise the 403 (or a 503 when the policy cannot be read).
  std::optional<ApiError> Authorize(const UserInfo& user, const RequestAttributes& request);

  // POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token (authorized by the caller as
  // create serviceaccounts/token): the TokenRequest with status.token.
  ApiResult<Json> CreateToken(const std::string& ns, const std::string& name, const Json& body);
  // POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews.
  ApiResult<Json> SelfSubjectAccessReview(const UserInfo& user, const Json& body);
  // POST /apis/authentication.k8s.io/v1/selfsubjectreviews.
  Json SelfSubjectReview(const UserInfo& user) const;

  // The admission check of a write by `user` to an object of `info` in `ns`; empty when none.
  AdmissionCheck AdmissionFor(const UserInfo& user, const api::ResourceInfo& info,
                              const std::string& ns);

 private:
  // The policy objects a decision in `ns` needs ("" : the cluster-scoped ones only).
  ApiResult<RbacPolicy> LoadPolicy(const std::string& ns);
  std::optional<ApiError> CheckJob(const UserInfo& user, const api::ResourceInfo& info,
                                   const Json* current, const Json& updated);
  std::optional<ApiError> CheckEscalation(const UserInfo& user, const api::ResourceInfo& info,
                                          const std::string& ns, const Json& updated);

  Registry* registry_;
  ServiceAccountTokens tokens_;
  Authenticator authenticator_;
  std::vector<std::string> job_creators_;
};

// The 403 for a request `user` may not make.
ApiError Forbidden(const UserInfo& user, const RequestAttributes& request);

}  // namespace brix::apiserver
