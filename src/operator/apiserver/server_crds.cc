// ApiServer handlers of apiextensions.k8s.io/v1 customresourcedefinitions (cluster-scoped): the
// CRDs brixd is built with (api/crd.h), never stored, so what brixd serves and validates with is
// always what deploy/00-crds.yaml of the same build holds.
//
// - get/list: the generated CRDs with the server's fields (uid, creationTimestamp = brixd's
//   start, resourceVersion "1", status Established) and the annotation
//   kubectl.kubernetes.io/last-applied-configuration as `kubectl apply -f deploy/00-crds.yaml`
//   writes it, so applying that file finds nothing to change ("unchanged").
// - create/update/patch (apply): accepted without change when the resulting CRD has the served
//   spec, labels and annotations; a br.pingcap.com CRD with another schema is refused (422,
//   naming both schema fingerprints and saying that the schema is built into brixd); CRDs of
//   other names or groups are refused (brixd serves only its own). create of a served name is
//   409 AlreadyExists, as on Kubernetes.
// - delete and watch: 405.
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/time_util.h"
#include "operator/api/crd.h"
#include "operator/apiserver/discovery.h"
#include "operator/apiserver/merge_patch.h"
#include "operator/apiserver/server_impl.h"
#include "operator/apiserver/table.h"

namespace brix::apiserver {

namespace {

constexpr char kLastApplied[] = "kubectl.kubernetes.io/last-applied-configuration";

const std::chrono::system_clock::time_point kStarted = std::chrono::system_clock::now();

// `value` as Go's encoding/json Encoder writes it (kubectl stores its last-applied configuration
// that way): sorted keys, no spaces, <, > and & escaped, a newline at the end. Only strings
// can hold those three characters in JSON text, so replacing them everywhere is exact.
std::string GoJson(const Json& value) {
  std::string out;
  for (char c : value.dump()) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out + "\n";
}

std::string UidOf(const Json& crd) {
  std::string h =
      HexEncode(Sha256(crd["metadata"]["name"].get<std::string>() + "/" +
                       crd["metadata"]["annotations"][api::kSchemaAnnotation].get<std::string>()));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

Json Served(const Json& crd) {
  Json out = crd;
  const std::string created =
      FormatIso8601(std::chrono::time_point_cast<std::chrono::seconds>(kStarted));
  Json& meta = out["metadata"];
  meta["annotations"][kLastApplied] = GoJson(crd);
  meta["uid"] = UidOf(crd);
  meta["creationTimestamp"] = created;
  meta["resourceVersion"] = "1";
  meta["generation"] = 1;
  auto condition = [&](const char* type, const char* reason, const char* message) {
    return Json{{"type", type},
                {"status", "True"},
                {"lastTransitionTime", created},
                {"reason", reason},
                {"message", message}};
  };
  out["status"] = {
      {"acceptedNames", crd["spec"]["names"]},
      {"conditions",
       {condition("NamesAccepted", "NoConflicts", "no conflicts found"),
        condition("Established", "InitialNamesAccepted", "the initial names have been accepted")}},
      {"storedVersions", {api::kBrVersion}}};
  return out;
}

const Json* FindCrd(const std::string& name) {
  for (const auto& crd : api::AllCrds()) {
    if (crd["metadata"]["name"] == name) return &crd;
  }
  return nullptr;
}

Json Annotations(const Json& object) {
  Json a = object.value(Json::json_pointer("/metadata/annotations"), Json::object());
  if (a.is_object()) a.erase(kLastApplied);
  return a;
}

// Whether `requested` (what a create, update or patch would make of the CRD) is the CRD brixd
// serves; the refusal says why not.
std::optional<ApiError> CheckRequested(const Json& requested) {
  const api::ResourceInfo& info = CrdResource();
  if (!requested.is_object()) return ApiError::BadRequest("the request body must be a JSON object");
  const std::string name = requested.value(Json::json_pointer("/metadata/name"), std::string());
  const Json group = requested.value(Json::json_pointer("/spec/group"), Json());
  std::string served_names;
  for (const auto& crd : api::AllCrds()) {
    served_names += (served_names.empty() ? "" : ", ") + crd["metadata"]["name"].dump();
  }
  if (group != api::kBrGroup) {
    return ApiError::Invalid(
        info, name,
        {{api::FieldError::Type::kNotSupported, "spec.group", group,
          Json(api::kBrGroup).dump() +
              " (brixd serves only the CustomResourceDefinitions it is built with: " +
              served_names + "; other kinds need a Kubernetes API server)"}});
  }
  const Json* crd = FindCrd(name);
  if (crd == nullptr) {
    return ApiError::Invalid(info, name,
                             {{api::FieldError::Type::kNotSupported, "metadata.name", name,
                               served_names + " (brixd serves only the CustomResourceDefinitions "
                                              "it is built with)"}});
  }
  const Json spec = requested.value("spec", Json());
  if (spec != (*crd)["spec"]) {
    std::string theirs = spec.is_object() ? api::SchemaFingerprint(spec) : "none";
    return ApiError::Invalid(
        info, name,
        {{api::FieldError::Type::kForbidden, "spec", nullptr,
          "brixd's schema is built in and cannot be changed through the API: this brixd "
          "serves schema " +
              (*crd)["metadata"]["annotations"][api::kSchemaAnnotation].get<std::string>() +
              " (the deploy/00-crds.yaml of its own brix build, printed by `brix crds`), the "
              "request has schema " +
              theirs +
              "; apply the deploy/00-crds.yaml of the brix version this brixd runs, or run the "
              "brixd of the version the file comes from"}});
  }
  const Json labels = requested.value(Json::json_pointer("/metadata/labels"), Json::object());
  if (Annotations(requested) != Annotations(*crd) ||
      (!labels.is_null() && labels != (*crd)["metadata"].value("labels", Json::object()))) {
    return ApiError::Invalid(info, name,
                             {{api::FieldError::Type::kForbidden, "metadata", nullptr,
                               "brixd's CustomResourceDefinitions are built in: their labels and "
                               "annotations cannot be changed"}});
  }
  return std::nullopt;
}

}  // namespace

const api::ResourceInfo& CrdResource() {
  static const api::ResourceInfo info = [] {
    api::ResourceInfo r;
    r.group = api::kCrdGroup;
    r.version = api::kCrdVersion;
    r.plural = "customresourcedefinitions";
    r.singular = "customresourcedefinition";
    r.kind = "CustomResourceDefinition";
    r.short_names = {"crd", "crds"};
    r.namespaced = false;
    r.columns = {
        api::PrinterColumn{"Created At", "string", ".metadata.creationTimestamp", 0, "", nullptr}};
    return r;
  }();
  return info;
}

void ApiServer::Impl::ServeCrds(const httplib::Request& req, httplib::Response& res,
                                const UserInfo& user, const std::string& ns,
                                const std::vector<std::string>& r) {
  const api::ResourceInfo& info = CrdResource();
  if (!ns.empty() || r.size() > 2) return Fail(res, NotFoundPath(req.path));
  Target t;
  t.info = &info;
  t.name = r.size() == 2 ? r[1] : "";
  RequestAttributes request{VerbOf(req, t), true, info.group, info.plural, "", "", t.name, ""};
  if (auto denied = access->Authorize(user, request)) return Fail(res, *denied);
  if (request.verb == "watch" || request.verb == "delete" || request.verb == "deletecollection") {
    return Fail(res, ApiError::MethodNotAllowed(
                         "brixd's CustomResourceDefinitions are built in (the deploy/00-crds.yaml "
                         "of its build): get, list, create, update and patch only; " +
                         request.verb + " is not supported"));
  }
  const auto now = std::chrono::system_clock::now();
  if (request.verb == "list") {
    auto selectors = ParseSelectors(req, t);
    if (!selectors.ok()) return Fail(res, selectors.error());
    std::vector<Json> items;
    for (const auto& crd : api::AllCrds()) {
      Json served = Served(crd);
      if (selectors.value().Matches(served)) items.push_back(std::move(served));
    }
    if (WantsTable(req)) return Reply(res, 200, ToTable(info, items, now, "1"));
    return Reply(res, 200,
                 {{"kind", info.list_kind()},
                  {"apiVersion", info.group_version()},
                  {"metadata", {{"resourceVersion", "1"}}},
                  {"items", items}});
  }
  if (request.verb == "create") {
    auto body = Body(req);
    if (!body.ok()) return Fail(res, body.error());
    if (auto refused = CheckRequested(body.value())) return Fail(res, *refused);
    return Fail(res, ApiError::AlreadyExists(info, body.value()["metadata"]["name"]));
  }
  const Json* crd = FindCrd(t.name);
  if (crd == nullptr) return Fail(res, ApiError::NotFound(info, t.name));
  Json served = Served(*crd);
  if (request.verb == "get") {
    if (WantsTable(req)) return Reply(res, 200, ToTable(info, {served}, now, "1"));
    return Reply(res, 200, served);
  }
  Json requested;
  if (request.verb == "update") {
    auto body = Body(req);
    if (!body.ok()) return Fail(res, body.error());
    requested = std::move(body.value());
  } else {
    Json patch = Json::parse(req.body, nullptr, false);
    if (patch.is_discarded()) return Fail(res, ApiError::BadRequest("the patch is not valid JSON"));
    const std::string type = req.get_header_value("Content-Type");
    if (type.starts_with("application/strategic-merge-patch+json")) {
      auto patched = StrategicMergePatch(served, patch);
      if (!patched.ok()) return Fail(res, ApiError::BadRequest(patched.status().message()));
      requested = std::move(patched).value();
    } else if (type.starts_with("application/json-patch+json")) {
      try {
        requested = served.patch(patch);
      } catch (const Json::exception& e) {
        return Fail(res, ApiError::BadRequest(std::string("the JSON patch could not be applied: ") +
                                              e.what()));
      }
    } else {
      requested = MergePatch(served, patch);  // merge patch and server-side apply
    }
  }
  if (requested.is_object() && requested.contains("metadata") &&
      requested["metadata"].is_object() && !requested["metadata"].contains("name")) {
    requested["metadata"]["name"] = t.name;
  }
  if (auto refused = CheckRequested(requested)) return Fail(res, *refused);
  if (requested["metadata"]["name"] != t.name) {
    return Fail(res, ApiError::BadRequest("the name of the object does not match the name on the "
                                          "URL (" +
                                          t.name + ")"));
  }
  Reply(res, 200, served);  // nothing changes: the CRD is built in
}

}  // namespace brix::apiserver
