// `brix playground`: a whole local deployment in one folder, on free loopback ports: etcd, kvpd
// (one or more), N kvnodes and optionally Azurite and brixd (the Kubernetes-compatible API
// server; its kubeconfig is DIR/kubeconfig and KUBECONFIG= is added to playground.env). The
// processes outlive the command; their pids, command lines and ports are kept in
// DIR/playground.json, their logs in DIR/logs/, and the addresses clients need in
// DIR/playground.env (BRIX_PD, BRIX_ETCD, BRIX_TLS_CA_FILE, BRIX_TLS_CERT_FILE, BRIX_TLS_KEY_FILE,
// BRIX_KVPD_STATUS and BRIX_KVNODE_STATUS (the source cluster's status ports, host:port comma
// lists, serving /metrics), with brixd BRIX_BRIXD_METRICS (its /metrics URL), and with Azurite
// AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY, AZURE_STORAGE_CONNECTION_STRING,
// AZURE_STORAGE_ENDPOINT).
//
// Mutual TLS everywhere: Up() makes a CA and one certificate (net/tls_certs.h) into DIR/tls/
// (ca.crt, tls.crt, tls.key, mode 0600; the CA key is not kept) and gives them to etcd (https,
// client certificates required), kvpd and kvnode (--tls-* flags) and brixd (BRIX_TLS_* env).
//
// Up() on a folder whose playground is already there restarts only the processes that died
// (after a kill -9, say) with their original command lines and data. Down() stops everything
// by pid. A failed Up() stops what it started and leaves no playground.env behind.
#pragma once

#include <string>

#include "common/status.h"

namespace brix::playground {

struct Options {
  std::string dir;
  int nodes = 3;
  int pds = 1;
  bool azurite = false;
  bool brixd = false;
  // With brixd: the controllers run as their own process, `brix operator` (role "operator",
  // over HTTPS with a ServiceAccount token; playground/operator_setup.h), and brixd runs with
  // --external-operator (the API and the job runner only).
  bool external_operator = false;
  // 2 adds a second, empty cluster (its own etcd, kvpd and `nodes` kvnodes; roles demo2-*) as a
  // restore target; BRIX_PD_DEMO2 in playground.env.
  int clusters = 1;
  // > 0: kvnodes upload log-backup data this often (their default is 10 s).
  int log_flush_interval_ms = 0;
  // Tests only: while this file exists, the source cluster's kvnodes fail their log-buffer
  // writes like a full disk (kvnode --test-log-buffer-fault-file).
  std::string test_log_buffer_fault_file;
  // Where the cluster's CA and certificate are (made there if missing); empty: DIR/tls. Two
  // playgrounds given the same folder trust each other (a restore from one into the other).
  std::string tls_dir;
};

// With brixd, the clusters are registered as test1/demo1 (and, with 2 clusters, demo2 both as
// test1/demo2 and as test2/demo2, the namespace the restore document restores into), and with
// Azurite as well the Secret azblob-secret in test1 (and test2) holds AZURE_STORAGE_ACCOUNT,
// AZURE_STORAGE_KEY and AZURE_STORAGE_ENDPOINT (the Azurite URL), so the seed's YAML runs
// unchanged. With brixd, Azurite serves HTTPS (DIR/tls's certificate; BRIX_CA_FILE=DIR/tls/ca.crt
// in playground.env, in the kvnodes' and brixd's environment, and so in every job's) with OAuth,
// and a token endpoint (role "entra", tools/token-endpoint) answers Entra client credentials:
// azblob-secret-ad (in the same namespaces), which the seed's AD examples name, holds
// AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_ENDPOINT, AZURE_CLIENT_ID, AZURE_TENANT_ID,
// AZURE_CLIENT_SECRET (random, also in DIR/entra/client-secret) and AZURE_AUTHORITY_HOST, and the
// kvnodes get the same in their environment. Without brixd, Azurite serves plain HTTP with the
// shared key only.
inline constexpr char kSeedNamespace[] = "test1";
inline constexpr char kRestoreNamespace[] = "test2";
inline constexpr char kSeedSecret[] = "azblob-secret";

[[nodiscard]] Status Up(const Options& options);
[[nodiscard]] Status Down(const std::string& dir);

}  // namespace brix::playground
