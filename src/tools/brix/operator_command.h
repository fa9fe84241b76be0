// `brix operator`: the four controllers (operator/controller/manager.h) as their own process
// against any Kubernetes API server (brixd --external-operator, or a real cluster), using only
// standard API calls: watches and lists of the CRs and Jobs, status subresources, batch/v1 Jobs,
// Events, ServiceAccounts/Roles/RoleBindings for the default job account, and a
// coordination.k8s.io/v1 Lease for leader election (docs/kubernetes.md).
//
//   brix operator --kubeconfig FILE --cluster test1/demo1=127.0.0.1:2379 [--leader-elect=false]
//
// Client configuration: --kubeconfig, else $KUBECONFIG, else in-cluster (client/kubeconfig.h).
// Cluster TLS to the kvpds (log checkpoints) as brixd: BRIX_TLS_* or the --tls-* flags.
// With --leader-elect (the default) it waits for the Lease before starting the controllers; on
// losing it, it stops them and exits 1 (the Deployment restarts it as a standby). SIGTERM and
// SIGINT stop the controllers, release the Lease and exit 0.
#pragma once

#include <CLI/CLI.hpp>

namespace brix::tools {

void AddOperatorCommand(CLI::App& app, int* exit_code);

}  // namespace brix::tools
