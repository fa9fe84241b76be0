// ApiServer: brixd's Kubernetes-compatible HTTP API (docs/architecture.md#control-plane,
// docs/brixd.md).
//
// Serves discovery, /version, the OpenAPI v3 stub, and CRUD, list, watch and status for the
// resources of operator/api/resources.h, with objects in etcd (see Registry), and read-only Pods
// with logs derived from the Jobs (pods.h). Every request
// except /version and the health probes must carry `Authorization: Bearer <token>` of a known
// identity (authn.h: the admin, brixd's controllers, ServiceAccount tokens from the TokenRequest
// API), or come from the web page under /ui/ with its session cookie and `X-Brix-UI: 1`
// (ui_login.h, server_ui.cc); others get 401. Each request is then authorized by RBAC as Kubernetes
// does it (access.h, rbac.h; 403 Forbidden). With a certificate it serves HTTPS (kubectl only sends
// bearer tokens over TLS); without one, plain HTTP.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "operator/apiserver/tls.h"

namespace brix::apiserver {

struct ServerOptions {
  std::string etcd_endpoint;  // "http://127.0.0.1:2379"
  std::string host = "127.0.0.1";
  int port = 0;       // 0: pick a free port
  std::string token;  // the admin's bearer token (user brix-admin); must not be empty
  // The controllers' bearer token (user system:brix-controller); empty: a fresh random one,
  // held in memory only (see controller_token()).
  std::string controller_token;
  // Users besides system:brix-controller who may create Jobs carrying the job-kind annotation
  // (the Jobs the runner executes): an external `brix operator`'s ServiceAccount
  // ("system:serviceaccount:brix-system:brix-operator"; brixd --external-operator).
  std::vector<std::string> job_creators;
  int max_threads = 64;  // request handlers; open watches hold none (watch_writer.h)
  CertificatePem tls;    // empty: plain HTTP
  // Where the job runner writes the log of Job `ns`/`job` ("" = none): what pods/log serves
  // (pods.h). Unset: Pods have no logs here.
  std::function<std::string(const std::string& ns, const std::string& job)> job_log_file;
  // How often a watch with allowWatchBookmarks=true gets a BOOKMARK event.
  std::chrono::seconds watch_bookmark_interval{60};
};

class ApiServer {
 public:
  // Connects to etcd, binds and starts serving on a background thread.
  [[nodiscard]] static Result<std::unique_ptr<ApiServer>> Start(ServerOptions options);
  ~ApiServer();  // Stop()

  int port() const;
  // The token of brixd's own controllers (system:brix-controller, in system:masters; the only
  // caller that may write a Job's job-kind marker through the API). A credential: never log it.
  const std::string& controller_token() const;
  // "https://host:port" (or http:// without TLS)
  std::string url() const;
  // Stops accepting, ends open watches and joins the serving thread. Idempotent.
  void Stop();
  // Blocks until Stop() is called from another thread (or a signal handler's helper).
  void Wait();

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A kubeconfig (YAML) for the real kubectl: one cluster at `server_url` trusting `ca_pem`
// (none when empty), a user with `token`, and a context using namespace `ns`.
std::string Kubeconfig(const std::string& server_url, const std::string& ca_pem,
                       const std::string& token, const std::string& ns = "default");

}  // namespace brix::apiserver
