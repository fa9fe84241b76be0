// Client configuration for `brix operator` (and `brix manager` outside brixd): where the API
// server is, whom to trust and which bearer token to send, as kubectl and client-go find them.
//
// LoadKubeconfig reads a kubeconfig file (YAML, yaml-cpp): its current-context names a context,
// whose cluster gives `server` and the CA (`certificate-authority`, a path relative to the file's
// folder, or `certificate-authority-data`, base64 PEM), and whose user gives `token` or
// `tokenFile`. Everything else that changes how a client connects or authenticates is refused
// with a message naming the field and what is supported: client certificates
// (client-certificate[-data], client-key[-data]), exec and auth-provider plugins, username and
// password, impersonation (as, as-groups, ...), insecure-skip-tls-verify: true, proxy-url,
// tls-server-name. A server without https:// is refused too: the token must not travel in clear.
//
// InClusterConfig is client-go's rest.InClusterConfig: https://KUBERNETES_SERVICE_HOST:
// KUBERNETES_SERVICE_PORT, CA <dir>/ca.crt, token file <dir>/token (re-read by HttpApiClient, so
// the kubelet's rotation of projected tokens is followed), namespace from <dir>/namespace.
#pragma once

#include <string>

#include "common/env.h"
#include "operator/client/http_client.h"

namespace brix::client {

inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubeClientConfig {
  HttpClientOptions http;
  std::string ns;      // the context's namespace, or the pod's; "" when none is given
  std::string source;  // "kubeconfig FILE (context C)" or "in-cluster": for logs, never secrets
};

[[nodiscard]] Result<KubeClientConfig> LoadKubeconfig(const std::string& path);

// `sa_dir`: the ServiceAccount mount (tests point it elsewhere).
[[nodiscard]] Result<KubeClientConfig> InClusterConfig(
    const EnvLookup& env, const std::string& sa_dir = kServiceAccountDir);

// InClusterConfig's HTTP options alone (`brix manager` in a Job's pod).
[[nodiscard]] Result<HttpClientOptions> InClusterHttpOptions(const EnvLookup& env);

// --kubeconfig FILE when given, else $KUBECONFIG (its first path), else in-cluster.
[[nodiscard]] Result<KubeClientConfig> ResolveClientConfig(const std::string& kubeconfig_flag,
                                                           const EnvLookup& env);

}  // namespace brix::client
