#include "operator/client/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/encoding.h"

namespace brix::client {
namespace {

namespace fs = std::filesystem;

constexpr char kClusterSupported[] =
    "supported: server, certificate-authority, certificate-authority-data";
constexpr char kUserSupported[] = "supported: token, tokenFile";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// The entry of `list` (clusters, users, contexts) named `name`: its inner map.
Result<YAML::Node> Named(const YAML::Node& root, const std::string& list, const std::string& inner,
                         const std::string& name, const std::string& file) {
  const YAML::Node entries = root[list];
  if (entries && entries.IsSequence()) {
    for (const auto& e : entries) {
      if (e["name"] && e["name"].as<std::string>() == name) {
        if (!e[inner] || !e[inner].IsMap()) {
          return Status::InvalidArgument(file + ": " + list + "[" + name + "]." + inner +
                                         " is missing");
        }
        return e[inner];
      }
    }
  }
  return Status::InvalidArgument(file + ": no " + list + " entry named \"" + name + "\"");
}

// A path in a kubeconfig is relative to the file's folder, as kubectl resolves it.
std::string Resolve(const std::string& path, const std::string& file) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(file).parent_path() / path).string();
}

}  // namespace

Result<KubeClientConfig> LoadKubeconfig(const std::string& path) {
  YAML::Node root;
  try {
    if (!fs::exists(path)) return Status::NotFound("kubeconfig " + path + " does not exist");
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("kubeconfig " + path + ": not valid YAML: " + e.what());
  }
  try {
    if (!root.IsMap()) return Status::InvalidArgument("kubeconfig " + path + ": not a mapping");
    std::string context = root["current-context"] ? root["current-context"].as<std::string>() : "";
    if (context.empty()) {
      return Status::InvalidArgument("kubeconfig " + path +
                                     ": current-context is not set (kubectl config use-context)");
    }
    BRIX_ASSIGN_OR_RETURN(YAML::Node ctx, Named(root, "contexts", "context", context, path));
    std::string cluster_name = ctx["cluster"] ? ctx["cluster"].as<std::string>() : "";
    std::string user_name = ctx["user"] ? ctx["user"].as<std::string>() : "";
    BRIX_ASSIGN_OR_RETURN(YAML::Node cluster,
                          Named(root, "clusters", "cluster", cluster_name, path));
    KubeClientConfig out;
    out.ns = ctx["namespace"] ? ctx["namespace"].as<std::string>() : "";
    out.source = "kubeconfig " + path + " (context " + context + ")";
    for (const auto& kv : cluster) {
      std::string key = kv.first.as<std::string>();
      std::string field = "clusters[" + cluster_name + "].cluster." + key;
      if (key == "server") {
        out.http.server = kv.second.as<std::string>();
        while (!out.http.server.empty() && out.http.server.back() == '/') {
          out.http.server.pop_back();
        }
      } else if (key == "certificate-authority") {
        out.http.ca_file = Resolve(kv.second.as<std::string>(), path);
      } else if (key == "certificate-authority-data") {
        auto pem = Base64Decode(kv.second.as<std::string>());
        if (!pem) return Status::InvalidArgument(path + ": " + field + " is not base64");
        out.http.ca_pem = *pem;
      } else if (key == "insecure-skip-tls-verify") {
        if (kv.second.as<bool>()) {
          return Status::InvalidArgument(path + ": " + field +
                                         ": brix always verifies the API server's certificate; "
                                         "give its CA instead (" +
                                         kClusterSupported + ")");
        }
      } else if (key != "extensions") {
        return Status::InvalidArgument(path + ": " + field + " is not supported (" +
                                       kClusterSupported + ")");
      }
    }
    if (out.http.server.rfind("https://", 0) != 0) {
      return Status::InvalidArgument(path + ": clusters[" + cluster_name +
                                     "].cluster.server must be an https:// URL, got \"" +
                                     out.http.server + "\"");
    }
    if (!user_name.empty()) {
      BRIX_ASSIGN_OR_RETURN(YAML::Node user, Named(root, "users", "user", user_name, path));
      for (const auto& kv : user) {
        std::string key = kv.first.as<std::string>();
        std::string field = "users[" + user_name + "].user." + key;
        if (key == "token") {
          out.http.token = kv.second.as<std::string>();
        } else if (key == "tokenFile") {
          out.http.token_file = Resolve(kv.second.as<std::string>(), path);
        } else if (key != "extensions") {
          return Status::InvalidArgument(path + ": " + field + " is not supported (" +
                                         kUserSupported + ")");
        }
      }
    }
    if (out.http.token.empty() && out.http.token_file.empty()) {
      return Status::InvalidArgument(path + ": users[" + user_name + "].user has no token (" +
                                     kUserSupported + ")");
    }
    return out;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("kubeconfig " + path + ": " + e.what());
  }
}

Result<KubeClientConfig> InClusterConfig(const EnvLookup& env, const std::string& sa_dir) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    return Status::InvalidArgument(
        "no API server configured: give --kubeconfig (or set KUBECONFIG), or run in a pod "
        "(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)");
  }
  KubeClientConfig out;
  std::string h = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;  // IPv6
  out.http.server = "https://" + h + ":" + *port;
  out.http.token_file = sa_dir + "/token";
  out.http.ca_file = sa_dir + "/ca.crt";
  if (!fs::exists(out.http.token_file)) {
    return Status::InvalidArgument("in-cluster: " + out.http.token_file +
                                   " does not exist (is automountServiceAccountToken off?)");
  }
  out.ns = Trimmed(ReadText(sa_dir + "/namespace"));
  out.source = "in-cluster";
  return out;
}

Result<HttpClientOptions> InClusterHttpOptions(const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(KubeClientConfig c, InClusterConfig(env));
  return c.http;
}

Result<KubeClientConfig> ResolveClientConfig(const std::string& kubeconfig_flag,
                                             const EnvLookup& env) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag);
  if (auto kc = env("KUBECONFIG")) {
    std::string first = kc->substr(0, kc->find(':'));  // KUBECONFIG may list several files
    return LoadKubeconfig(first);
  }
  return InClusterConfig(env);
}

}  // namespace brix::client
