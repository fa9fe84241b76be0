// ApiServer request routing: authentication, the resource a URL names, its RBAC check, and the
// discovery and OpenAPI documents (server_impl.h).
#include <spdlog/spdlog.h>

#include "common/metrics.h"
#include "operator/api/crd.h"
#include "operator/apiserver/discovery.h"
#include "operator/apiserver/server_impl.h"

namespace brix::apiserver {

namespace {

using Target = ApiServer::Impl::Target;

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

bool IsOpenPath(const std::string& path) {
  return path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz";
}

// /api/v1/..., /apis/<g>/<v>/...: longer than a discovery document's path.
bool IsResourcePath(const std::vector<std::string>& p) {
  return (p.size() >= 3 && p[0] == "api") || (p.size() >= 4 && p[0] == "apis");
}

}  // namespace

std::string VerbOf(const httplib::Request& req, const Target& t) {
  if (req.method == "GET") {
    std::string watch = req.get_param_value("watch");
    if (watch == "true" || watch == "1") return "watch";
    return t.name.empty() ? "list" : "get";
  }
  if (req.method == "POST") return "create";
  if (req.method == "PUT") return "update";
  if (req.method == "PATCH") return "patch";
  if (req.method == "DELETE") return t.name.empty() ? "deletecollection" : "delete";
  return "";
}

void ApiServer::Impl::Handle(const httplib::Request& req, httplib::Response& res) {
  try {
    if (req.path == "/ui" || req.path.starts_with("/ui/")) {
      ServeUi(req, res);  // server_ui.cc: the web page authenticates its own way
    } else if (IsOpenPath(req.path)) {
      Route(req, res, UserInfo{"system:anonymous", {"system:unauthenticated"}});
    } else {
      auto user = AuthenticateRequest(req);
      if (!user.ok()) return Fail(res, user.error());
      Route(req, res, user.value());
    }
  } catch (const std::exception& e) {
    Fail(res, ApiError{500, "InternalError", std::string("internal error: ") + e.what(), nullptr});
  }
  spdlog::debug("{} {} -> {}", req.method, req.path, res.status);
}

void ApiServer::Impl::Route(const httplib::Request& req, httplib::Response& res,
                            const UserInfo& user) {
  const std::string& path = req.path;
  std::vector<std::string> p = SplitPath(path);
  if (req.method == "GET" && !IsOpenPath(path) &&
      (p.empty() || p[0] == "api" || p[0] == "apis" || p[0] == "openapi") && !IsResourcePath(p)) {
    RequestAttributes discovery;
    discovery.verb = "get";
    discovery.resource_request = false;
    discovery.path = path;
    if (auto denied = access->Authorize(user, discovery)) return Fail(res, *denied);
  }
  if (req.method == "GET") {
    if (path == "/version") return Reply(res, 200, VersionDocument());
    if (path == "/healthz" || path == "/livez" || path == "/readyz") {
      res.set_content("ok", "text/plain");
      return;
    }
    if (path == "/metrics") {
      // As kube-apiserver: authenticated, and RBAC allows it to whom a role grants `get` on the
      // non-resource URL /metrics (Kubernetes' system:monitoring); docs/metrics.md.
      RequestAttributes metrics_request;
      metrics_request.verb = "get";
      metrics_request.resource_request = false;
      metrics_request.path = path;
      if (auto denied = access->Authorize(user, metrics_request)) return Fail(res, *denied);
      res.set_content(metrics::Default().Render(), metrics::kContentType);
      return;
    }
    if (path == "/api") {
      return Reply(res, 200, CoreVersionsDocument(options.host + ":" + std::to_string(port)));
    }
    if (path == "/apis") return Reply(res, 200, GroupListDocument());
    if (p.size() == 2 && p[0] == "api") {
      if (auto doc = ResourceListDocument("", p[1])) return Reply(res, 200, *doc);
    }
    if (p.size() == 2 && p[0] == "apis") {
      for (const auto& g : GroupListDocument()["groups"]) {
        if (g["name"] == p[1]) {
          Json doc = g;
          doc["kind"] = "APIGroup";
          doc["apiVersion"] = "v1";
          return Reply(res, 200, doc);
        }
      }
    }
    if (p.size() == 3 && p[0] == "apis") {
      if (auto doc = ResourceListDocument(p[1], p[2])) return Reply(res, 200, *doc);
    }
    if (path == "/openapi/v3") return Reply(res, 200, OpenApiRootDocument());
    if (p.size() == 4 && p[0] == "openapi" && p[1] == "v3" && p[2] == "api") {
      if (auto doc = OpenApiGroupVersionDocument("", p[3])) return Reply(res, 200, *doc);
    }
    if (p.size() == 5 && p[0] == "openapi" && p[1] == "v3" && p[2] == "apis") {
      if (auto doc = OpenApiGroupVersionDocument(p[3], p[4])) return Reply(res, 200, *doc);
    }
  }
  // Resource URLs: /api/v1/... and /apis/<group>/<version>/...
  std::string group, version;
  size_t rest = 0;
  if (p.size() >= 3 && p[0] == "api") {
    version = p[1];
    rest = 2;
  } else if (p.size() >= 4 && p[0] == "apis") {
    group = p[1];
    version = p[2];
    rest = 3;
  } else {
    return Fail(res, NotFoundPath(path));
  }
  Target t;
  std::vector<std::string> r(p.begin() + static_cast<long>(rest), p.end());
  if (r.size() == 1 && req.method == "POST" && version == "v1" &&
      ((group == "authorization.k8s.io" && r[0] == "selfsubjectaccessreviews") ||
       (group == "authentication.k8s.io" && r[0] == "selfsubjectreviews"))) {
    return SelfReview(req, res, user, group, r[0]);
  }
  if (r.size() >= 3 && r[0] == "namespaces") {
    t.ns = r[1];
    r.erase(r.begin(), r.begin() + 2);
  }
  if (r.empty() || r.size() > 3) return Fail(res, NotFoundPath(path));
  if (group.empty() && version == "v1" && r[0] == "pods") return ServePods(req, res, user, t.ns, r);
  if (group == api::kCrdGroup && version == api::kCrdVersion &&
      r[0] == "customresourcedefinitions") {
    return ServeCrds(req, res, user, t.ns, r);
  }
  t.info = api::FindResource(group, version, r[0]);
  if (t.info == nullptr) return Fail(res, NotFoundPath(path));
  if (r.size() >= 2) t.name = r[1];
  if (r.size() == 3) {
    if (r[2] == "status" && t.info->has_status) {
      t.status = true;
    } else if (r[2] == "token" && t.info->kind == "ServiceAccount" && req.method == "POST") {
      t.token = true;
    } else {
      return Fail(res, NotFoundPath(path));
    }
  }
  // Namespaced kinds are named inside a namespace, cluster-scoped ones outside any.
  if (t.info->namespaced ? (!t.name.empty() && t.ns.empty()) : !t.ns.empty()) {
    return Fail(res, NotFoundPath(path));
  }
  RequestAttributes request{
      VerbOf(req, t), true,   group, t.info->plural, t.status ? "status" : (t.token ? "token" : ""),
      t.ns,           t.name, ""};
  if (auto denied = access->Authorize(user, request)) return Fail(res, *denied);
  if (t.token) return CreateToken(req, res, t);
  if (req.method == "GET") {
    if (!t.name.empty()) return GetOne(req, res, t);
    if (req.get_param_value("watch") == "true" || req.get_param_value("watch") == "1") {
      return WatchCollection(req, res, t);
    }
    return ListCollection(req, res, t);
  }
  if (t.info->namespaced && t.ns.empty()) {
    return Fail(res, ApiError::MethodNotAllowed("writes need a namespace"));
  }
  WriteOptions write = WriteOptionsFor(req);
  write.admit = access->AdmissionFor(user, *t.info, t.ns);
  if (req.method == "POST" && t.name.empty()) return CreateOne(req, res, t, write);
  if (t.name.empty()) {
    return Fail(res, ApiError::MethodNotAllowed(req.method + " is not supported on a collection"));
  }
  if (req.method == "PUT") return UpdateOne(req, res, t, write);
  if (req.method == "PATCH") return PatchOne(req, res, t, write);
  if (req.method == "DELETE" && !t.status) return DeleteOne(req, res, t);
  return Fail(res, ApiError::MethodNotAllowed(req.method + " is not supported here"));
}

void ApiServer::Impl::SelfReview(const httplib::Request& req, httplib::Response& res,
                                 const UserInfo& user, const std::string& group,
                                 const std::string& resource) {
  RequestAttributes request{"create", true, group, resource, "", "", "", ""};
  if (auto denied = access->Authorize(user, request)) return Fail(res, *denied);
  if (resource == "selfsubjectreviews") return Reply(res, 201, access->SelfSubjectReview(user));
  auto body = Body(req);
  if (!body.ok()) return Fail(res, body.error());
  auto review = access->SelfSubjectAccessReview(user, body.value());
  if (!review.ok()) return Fail(res, review.error());
  Reply(res, 201, review.value());
}

void ApiServer::Impl::CreateToken(const httplib::Request& req, httplib::Response& res,
                                  const Target& t) {
  auto body = req.body.empty() ? ApiResult<Json>(Json::object()) : Body(req);
  if (!body.ok()) return Fail(res, body.error());
  auto token = access->CreateToken(t.ns, t.name, body.value());
  if (!token.ok()) return Fail(res, token.error());
  Reply(res, 201, token.value());
}

ApiError ApiServer::Impl::NotFoundPath(const std::string& path) {
  return ApiError{404, "NotFound",
                  "the server could not find the requested resource (" + path + ")",
                  Json::object()};
}

}  // namespace brix::apiserver
