#include "playground/operator_setup.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/durable_file.h"
#include "common/process.h"
#include "operator/api/crd.h"
#include "operator/api/resources.h"
#include "operator/client/http_client.h"
#include "playground/operator_rbac.h"

namespace brix::playground {
namespace {

using Json = client::Json;

constexpr char kOperatorNamespace[] = "brix-system";
constexpr char kOperatorAccount[] = "brix-operator";

const api::ResourceInfo* ResourceOf(const Json& object) {
  std::string api_version = object.value("apiVersion", "");
  std::string kind = object.value("kind", "");
  for (const auto& r : api::AllResources()) {
    if (r.group_version() == api_version && r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace

Result<client::HttpClientOptions> BrixdAdminOptions(const std::string& dir, int brixd_port) {
  std::ifstream token_in(dir + "/brixd/token");
  std::string token;
  token_in >> token;
  if (token.empty()) return Status::NotFound("brixd wrote no token in " + dir + "/brixd");
  client::HttpClientOptions o;
  o.server = "https://127.0.0.1:" + std::to_string(brixd_port);
  o.token = token;
  o.ca_file = dir + "/brixd/tls.crt";
  return o;
}

Status PrepareExternalOperator(const std::string& dir, int brixd_port) {
  BRIX_ASSIGN_OR_RETURN(client::HttpClientOptions o, BrixdAdminOptions(dir, brixd_port));
  client::HttpApiClient api(o);
  std::vector<Json> docs;
  try {
    docs = api::YamlDocumentsToJson(kOperatorRbacYaml);
  } catch (const YAML::Exception& e) {
    return Status::Internal(std::string("deploy/20-operator-rbac.yaml: ") + e.what());
  }
  for (const Json& object : docs) {
    if (!object.is_object()) continue;
    const api::ResourceInfo* info = ResourceOf(object);
    if (info == nullptr) {
      return Status::Internal("deploy/20-operator-rbac.yaml: brixd does not serve " +
                              object.value("kind", std::string("?")));
    }
    std::string ns = info->namespaced ? client::NamespaceOf(object) : "";
    auto created = api.Create(*info, ns, object);
    if (!created.ok() && !created.status().IsAlreadyExists()) {
      return created.status().WithContext("applying " + info->kind + " " + client::NameOf(object));
    }
  }
  // As long as a playground may run; the next `up` asks for a new one.
  BRIX_ASSIGN_OR_RETURN(std::string token,
                        client::RequestServiceAccountToken(
                            api, kOperatorNamespace, kOperatorAccount, std::chrono::hours(24 * 7)));
  std::filesystem::create_directories(dir + "/operator");
  std::string kubeconfig =
      "apiVersion: v1\nkind: Config\ncurrent-context: brix-operator\n"
      "clusters:\n- name: brixd\n  cluster:\n    server: " +
      o.server + "\n    certificate-authority: " + o.ca_file +
      "\ncontexts:\n- name: brix-operator\n  context:\n    cluster: brixd\n"
      "    user: brix-operator\n    namespace: " +
      kOperatorNamespace + "\nusers:\n- name: brix-operator\n  user:\n    token: " + token + "\n";
  return WriteFileDurably(dir + "/operator/kubeconfig", kubeconfig, 0600);
}

std::vector<std::string> OperatorCommand(const std::string& dir,
                                         const std::vector<std::string>& clusters) {
  std::vector<std::string> argv = {
      BinDir() + "/brix",           "--log-level", "debug", "operator", "--kubeconfig",
      dir + "/operator/kubeconfig", "--job-image", "brix",  "--resync", "30s"};
  for (const auto& c : clusters) argv.insert(argv.end(), {"--cluster", c});
  return argv;
}

}  // namespace brix::playground
