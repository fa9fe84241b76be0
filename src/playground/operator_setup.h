// `brix playground up --brixd --external-operator`: brixd serves the API and runs jobs, and
// `brix operator` runs the controllers as its own process (role "operator"), as on Kubernetes.
//
// PrepareExternalOperator, with brixd's admin token: applies deploy/20-operator-rbac.yaml (built
// into the binary; a Namespace document is skipped while brixd does not serve Namespaces), asks
// brixd for a token of ServiceAccount brix-system/brix-operator (TokenRequest, as
// `kubectl create token brix-operator -n brix-system`), and writes DIR/operator/kubeconfig
// (0600; server, brixd's CA, that token), which the operator's command line names. Called before
// every launch of the operator, so a restarted playground gets a fresh token.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "operator/client/http_client.h"

namespace brix::playground {

// How the playground talks to its brixd as admin: DIR/brixd/token over HTTPS trusting
// DIR/brixd/tls.crt (the Secrets, the operator's RBAC and token).
[[nodiscard]] Result<client::HttpClientOptions> BrixdAdminOptions(const std::string& dir,
                                                                  int brixd_port);

[[nodiscard]] Status PrepareExternalOperator(const std::string& dir, int brixd_port);

// `brix operator` with DIR/operator/kubeconfig, the clusters and the Jobs' image "brix" (the
// runner runs its own binary for it); leader election on (Lease brix-system/brix-operator).
std::vector<std::string> OperatorCommand(const std::string& dir,
                                         const std::vector<std::string>& clusters);

}  // namespace brix::playground
