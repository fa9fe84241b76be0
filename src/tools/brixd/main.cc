// brixd: the control plane's Kubernetes-compatible API server (docs/architecture.md#control-plane,
// docs/brixd.md). Serves the backup CRs and the built-in kinds over etcd so that the real kubectl
// works against it, and writes a kubeconfig with a freshly generated bearer token.
//
//   brixd --etcd https://127.0.0.1:2379 --listen 127.0.0.1:8080 --kubeconfig-out kubeconfig
//
// By default brixd also runs the controllers and the job runner in process (the embedded
// operator); --external-operator keeps the job runner only (`brix operator` runs the
// controllers as its own process, docs/kubernetes.md); --no-controllers runs neither.
//
// As a client of etcd and of the clusters' kvpds, brixd uses mutual TLS from BRIX_TLS_CA_FILE,
// BRIX_TLS_CERT_FILE and BRIX_TLS_KEY_FILE (or BRIX_INSECURE=1), and passes the same variables
// to the jobs it runs (net/grpc_tls.h).
//   KUBECONFIG=kubeconfig kubectl get backup -n test1
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/durable_file.h"
#include "common/encoding.h"
#include "common/logging.h"
#include "common/process.h"
#include "common/random.h"
#include "etcd/etcd_client.h"
#include "net/grpc_tls.h"
#include "operator/api/go_time.h"
#include "operator/apiserver/registry_client.h"
#include "operator/apiserver/server.h"
#include "operator/client/http_client.h"
#include "operator/controller/log_checkpoint.h"
#include "operator/controller/manager.h"
#include "operator/jobs/job_runner.h"
#include "tools/cli_exit.h"

namespace {

// The token, TLS key and kubeconfig (which holds the token) are readable by their owner only.
constexpr mode_t kPrivateMode = 0600;

// The file's contents without trailing whitespace; "" when it does not exist.
std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"brixd: Kubernetes-compatible API server for brix backup resources"};
  std::string etcd = "https://127.0.0.1:2379";
  std::string listen = "127.0.0.1:8080";
  std::string kubeconfig_out;
  std::string token;
  std::string state_dir;
  bool plain_http = false;
  std::string kube_namespace = "default";
  std::string log_level = "info";
  std::vector<std::string> clusters;
  bool no_controllers = false;
  std::string resync = "30s";
  app.add_option("--etcd", etcd, "etcd endpoint")->capture_default_str();
  app.add_option("--listen", listen, "HOST:PORT to serve on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--kubeconfig-out", kubeconfig_out,
                 "write a kubeconfig (mode 0600) for kubectl to this file");
  app.add_option("--state-dir", state_dir,
                 "keep the token and TLS certificate here and reuse them on restart (default: "
                 "new ones every start)");
  app.add_flag("--plain-http", plain_http,
               "serve plain HTTP (kubectl then sends no token, so only unauthenticated "
               "clients such as probes work)");
  app.add_option("--namespace", kube_namespace, "default namespace of the written kubeconfig")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.add_option("--cluster", clusters,
                 "a cluster the controllers may back up or restore: NAMESPACE/NAME=KVPD_ADDRESSES "
                 "(spec.br.cluster NAME in namespace NAMESPACE); repeatable");
  app.add_flag("--no-controllers", no_controllers,
               "serve the API only: no controllers and no job runner");
  bool external_operator = false;
  app.add_flag("--external-operator", external_operator,
               "run the job runner but no controllers: `brix operator` runs them as its own "
               "process against this API (docs/kubernetes.md)");
  std::string operator_user = "system:serviceaccount:brix-system:brix-operator";
  app.add_option("--operator-user", operator_user,
                 "with --external-operator: the operator's user, who may create the Jobs the "
                 "runner executes (deploy/20-operator-rbac.yaml's ServiceAccount)")
      ->capture_default_str();
  app.add_option("--resync", resync, "how often every object is reconciled (Go duration)")
      ->capture_default_str();
  if (auto usage = brix::tools::ParseCommandLine(app, argc, argv)) return *usage;

  if (brix::Status s = brix::InitLogging(log_level); !s.ok()) {
    return brix::tools::UsageError(s.message());
  }
  // Cluster TLS is checked (and --insecure warned about) before anything connects.
  if (auto tls = brix::net::ChannelCredentials(); !tls.ok()) {
    return brix::tools::UsageError(tls.status().message());
  }
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return brix::tools::UsageError("--listen must be HOST:PORT, got " + listen);
  }
  brix::apiserver::ServerOptions options;
  options.etcd_endpoint = etcd;
  options.host = listen.substr(0, colon);
  try {
    options.port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return brix::tools::UsageError("bad port in --listen " + listen);
  }
  brix::apiserver::CertificatePem tls;
  if (!state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);  // first run: the folder may not exist
    if (ec) {
      return brix::tools::FailureExit(
          brix::Status::IOError("--state-dir " + state_dir + ": " + ec.message()));
    }
    token = ReadFile(state_dir + "/token");
    tls.cert = ReadFile(state_dir + "/tls.crt");
    tls.key = ReadFile(state_dir + "/tls.key");
  }
  if (token.empty()) {
    token = brix::HexEncode(brix::RandomBytes16()) + brix::HexEncode(brix::RandomBytes16());
  }
  if (!plain_http && (tls.cert.empty() || tls.key.empty())) {
    auto made = brix::apiserver::MakeSelfSignedCertificate({options.host});
    if (!made.ok()) {
      return brix::tools::FailureExit(made.status());
    }
    tls = std::move(made).value();
  }
  if (!state_dir.empty()) {
    for (auto [name, text] : {std::pair{"/token", token}, std::pair{"/tls.crt", tls.cert},
                              std::pair{"/tls.key", tls.key}}) {
      if (brix::Status s = brix::WriteFileDurably(state_dir + name, text, kPrivateMode); !s.ok()) {
        return brix::tools::FailureExit(s);
      }
    }
  }
  if (!plain_http) options.tls = tls;
  options.token = token;
  if (external_operator) options.job_creators = {operator_user};

  // Signals are taken by sigwait below, not by whichever thread happens to run.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Every open watch keeps its connection (one descriptor) for as long as it lasts: allow as
  // many as the hard limit does (often 1024 soft of 524288 hard).
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) == 0) {
      spdlog::info("open file limit raised to {}", static_cast<uint64_t>(files.rlim_cur));
    }
  }

  // Where jobs run and log (the job runner's folder); Pods serve their logs from it.
  std::string jobs_dir = state_dir;
  if (jobs_dir.empty() && !no_controllers) {
    char tmpl[] = "/tmp/brixd-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      return brix::tools::FailureExit(brix::Status::IOError("cannot create a folder for job logs"));
    }
    jobs_dir = tmpl;
  }
  if (!jobs_dir.empty()) {
    options.job_log_file = [jobs_dir](const std::string& ns, const std::string& job) {
      auto paths = brix::jobs::PathsFor(jobs_dir, ns, job);
      return paths.ok() ? paths->log : std::string();
    };
  }
  auto server = brix::apiserver::ApiServer::Start(options);
  if (!server.ok()) {
    return brix::tools::FailureExit(server.status());
  }
  std::string url = (*server)->url();
  if (!kubeconfig_out.empty()) {
    brix::Status s = brix::WriteFileDurably(
        kubeconfig_out, brix::apiserver::Kubeconfig(url, options.tls.cert, token, kube_namespace),
        kPrivateMode);
    if (!s.ok()) {
      return brix::tools::FailureExit(s);
    }
  }
  spdlog::info("brixd serving {} (etcd {})", url, etcd);

  // The controllers and the job runner talk to the registry in process; jobs get the API's
  // address and CA and a token of their ServiceAccount in their environment.
  std::unique_ptr<brix::etcd::EtcdClient> etcd_client;
  std::unique_ptr<brix::apiserver::RegistryClient> registry_client;
  std::unique_ptr<brix::client::HttpApiClient> token_client;
  std::unique_ptr<brix::jobs::JobRunner> runner;
  std::unique_ptr<brix::controller::ControllerManager> controllers;
  if (!no_controllers) {
    brix::controller::ControllerOptions copts;
    auto parsed = brix::controller::ParseClusterFlags(clusters);
    if (!parsed.ok()) return brix::tools::UsageError(parsed.status().message());
    copts.clusters = std::move(parsed).value();
    auto period = brix::api::ParseGoDuration(resync);
    if (!period.ok() || period->count() <= 0) {
      return brix::tools::UsageError("bad --resync " + resync);
    }
    copts.resync = std::chrono::duration_cast<std::chrono::milliseconds>(*period);
    copts.log_progress = brix::controller::KvpdLogProgress;
    const std::string& dir = jobs_dir;
    brix::jobs::JobRunnerOptions jopts;
    jopts.state_dir = dir;
    jopts.brix_binary = brix::BinDir() + "/brix";
    jopts.api_server = url;
    if (!options.tls.cert.empty()) {
      if (brix::Status s =
              brix::WriteFileDurably(dir + "/api-ca.crt", options.tls.cert, kPrivateMode);
          !s.ok()) {
        return brix::tools::FailureExit(s);
      }
      jopts.api_ca_file = dir + "/api-ca.crt";
    }
    // Jobs get none of brixd's environment; sanitizer settings are diagnostics, not secrets.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
      if (const char* v = std::getenv(name)) jopts.job_env[name] = v;
    }
    // Nor is BRIX_CA_FILE (whom to trust for storage endpoints, e.g. the playground's HTTPS
    // Azurite and token endpoint), which jobs then share with brixd.
    if (const char* v = std::getenv("BRIX_CA_FILE")) jopts.job_env["BRIX_CA_FILE"] = v;
    // Jobs reach the cluster (kvpd, kvnodes) with brixd's own cluster TLS identity.
    for (const auto& [k, v] : brix::net::TlsEnv(brix::net::ClientTls())) jopts.job_env[k] = v;
    // ServiceAccount tokens for jobs come from the API's TokenRequest endpoint, asked with the
    // controllers' own identity (in memory only; never handed to a job).
    brix::client::HttpClientOptions token_opts;
    token_opts.server = url;
    token_opts.token = (*server)->controller_token();
    token_opts.ca_file = jopts.api_ca_file;
    token_opts.retry_for = std::chrono::seconds(5);
    token_client = std::make_unique<brix::client::HttpApiClient>(token_opts);
    jopts.token_client = token_client.get();
    auto connected = brix::etcd::EtcdClient::Connect(etcd);
    if (!connected.ok()) {
      return brix::tools::FailureExit(connected.status());
    }
    etcd_client = std::move(connected).value();
    registry_client = std::make_unique<brix::apiserver::RegistryClient>(etcd_client.get());
    runner = std::make_unique<brix::jobs::JobRunner>(registry_client.get(), jopts);
    if (brix::Status s = runner->Start(); !s.ok()) return brix::tools::FailureExit(s);
    if (external_operator) {
      spdlog::info("job runner running (jobs in {}/jobs); controllers are external", dir);
    } else {
      controllers =
          std::make_unique<brix::controller::ControllerManager>(registry_client.get(), copts);
      if (brix::Status s = controllers->Start(); !s.ok()) return brix::tools::FailureExit(s);
      spdlog::info("controllers running ({} clusters, jobs in {}/jobs)", copts.clusters.size(),
                   dir);
    }
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("brixd stopping on signal {}", sig);
  if (controllers) controllers->Stop();
  if (runner) runner->Stop();
  (*server)->Stop();
  return 0;
}
