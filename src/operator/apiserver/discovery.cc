#include "operator/apiserver/discovery.h"

#include <set>
#include <vector>

#include "operator/api/resources.h"

namespace brix::apiserver {

namespace {

// Changes whenever the served documents change, because kubectl caches OpenAPI by URL.
constexpr char kOpenApiHash[] = "brixd-1";

const Json kAllVerbs = {"create", "delete", "deletecollection", "get",
                        "list",   "patch",  "update",           "watch"};

// Served endpoints that are not stored kinds (access.h): POST-only reviews and tokens, the
// read-only Pods and the built-in CustomResourceDefinitions.
struct VirtualResource {
  const char* group;
  const char* version;
  Json entry;  // the APIResource of discovery
};

const std::vector<VirtualResource>& VirtualResources() {
  static const std::vector<VirtualResource> list = {
      {"",
       "v1",
       {{"name", "serviceaccounts/token"},
        {"singularName", ""},
        {"namespaced", true},
        {"group", "authentication.k8s.io"},
        {"version", "v1"},
        {"kind", "TokenRequest"},
        {"verbs", {"create"}}}},
      // Read-only Pods derived from the Jobs, and their logs (pods.h).
      {"",
       "v1",
       {{"name", "pods"},
        {"singularName", "pod"},
        {"namespaced", true},
        {"kind", "Pod"},
        {"shortNames", {"po"}},
        {"categories", {"all"}},
        {"verbs", {"get", "list"}}}},
      {"",
       "v1",
       {{"name", "pods/log"},
        {"singularName", ""},
        {"namespaced", true},
        {"kind", "Pod"},
        {"verbs", {"get"}}}},
      // The built-in CRDs (server_crds.cc): no watch, no delete.
      {"apiextensions.k8s.io",
       "v1",
       {{"name", "customresourcedefinitions"},
        {"singularName", "customresourcedefinition"},
        {"namespaced", false},
        {"kind", "CustomResourceDefinition"},
        {"shortNames", {"crd", "crds"}},
        {"verbs", {"create", "get", "list", "patch", "update"}}}},
      {"authorization.k8s.io",
       "v1",
       {{"name", "selfsubjectaccessreviews"},
        {"singularName", "selfsubjectaccessreview"},
        {"namespaced", false},
        {"kind", "SelfSubjectAccessReview"},
        {"verbs", {"create"}}}},
      {"authentication.k8s.io",
       "v1",
       {{"name", "selfsubjectreviews"},
        {"singularName", "selfsubjectreview"},
        {"namespaced", false},
        {"kind", "SelfSubjectReview"},
        {"verbs", {"create"}}}},
  };
  return list;
}

std::set<std::pair<std::string, std::string>> GroupVersions() {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& r : api::AllResources()) out.insert({r.group, r.version});
  for (const auto& v : VirtualResources()) out.insert({v.group, v.version});
  return out;
}

// The kinds of the OpenAPI documents: the stored ones and the built-in CRDs (kubectl validates
// an apply only against a group/version the OpenAPI root lists).
std::vector<const api::ResourceInfo*> OpenApiResources() {
  std::vector<const api::ResourceInfo*> out;
  for (const auto& r : api::AllResources()) out.push_back(&r);
  out.push_back(&CrdResource());
  return out;
}

std::string OpenApiPath(const std::string& group, const std::string& version) {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

}  // namespace

Json VersionDocument() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.4-brixd"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2025-01-01T00:00:00Z"},
          {"goVersion", "go1.23"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

Json CoreVersionsDocument(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

Json GroupListDocument() {
  Json groups = Json::array();
  for (const auto& [group, version] : GroupVersions()) {
    if (group.empty()) continue;
    Json gv = {{"groupVersion", group + "/" + version}, {"version", version}};
    groups.push_back({{"name", group}, {"versions", {gv}}, {"preferredVersion", gv}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<Json> ResourceListDocument(const std::string& group, const std::string& version) {
  Json resources = Json::array();
  for (const auto& r : api::AllResources()) {
    if (r.group != group || r.version != version) continue;
    Json entry = {{"name", r.plural},
                  {"singularName", r.singular},
                  {"namespaced", r.namespaced},
                  {"kind", r.kind},
                  {"verbs", kAllVerbs}};
    if (!r.short_names.empty()) entry["shortNames"] = r.short_names;
    if (r.custom) entry["categories"] = {"all"};
    resources.push_back(std::move(entry));
    if (r.has_status) {
      resources.push_back({{"name", r.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", r.namespaced},
                           {"kind", r.kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  for (const auto& v : VirtualResources()) {
    if (v.group == group && v.version == version) resources.push_back(v.entry);
  }
  if (resources.empty()) return std::nullopt;
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version},
              {"resources", resources}};
}

Json OpenApiRootDocument() {
  Json paths = Json::object();
  std::set<std::pair<std::string, std::string>> stored;
  for (const auto* r : OpenApiResources()) stored.insert({r->group, r->version});
  for (const auto& [group, version] : stored) {
    std::string p = OpenApiPath(group, version);
    paths[p] = {{"serverRelativeURL", "/openapi/v3/" + p + "?hash=" + kOpenApiHash}};
  }
  return {{"paths", paths}};
}

std::optional<Json> OpenApiGroupVersionDocument(const std::string& group,
                                                const std::string& version) {
  Json paths = Json::object();
  for (const auto* info : OpenApiResources()) {
    const api::ResourceInfo& r = *info;
    if (r.group != group || r.version != version) continue;
    // Appended, not `"/" + OpenApiPath(...)`: GCC 12 at -O3 reports a false -Wrestrict inside
    // libstdc++'s operator+(const char*, string&&) (GCC bug 105651).
    std::string base = "/";
    base += OpenApiPath(group, version);
    base += r.namespaced ? "/namespaces/{namespace}/" : "/";
    base += r.plural;
    // No requestBody on purpose: kubectl then picks the patch type by its built-in rules
    // (merge patch for custom resources, strategic merge patch for built-ins).
    Json op = {
        {"x-kubernetes-group-version-kind",
         {{"group", group}, {"version", version}, {"kind", r.kind}}},
        {"parameters",
         {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}}};
    paths[base + "/{name}"] = {{"patch", op}};
  }
  if (paths.empty()) return std::nullopt;
  return Json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.4"}}},
              {"components", {{"schemas", Json::object()}}},
              {"paths", paths}};
}

}  // namespace brix::apiserver
