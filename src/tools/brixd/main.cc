// brixd: the control plane's Kubernetes-compatible API server (DESIGN §6). Serves the backup
// CRs and the built-in kinds over etcd so that the real kubectl works against it, and writes a
// kubeconfig with a freshly generated bearer token.
//
//   brixd --etcd http://127.0.0.1:2379 --listen 127.0.0.1:8080 --kubeconfig-out kubeconfig
//   KUBECONFIG=kubeconfig kubectl get backup -n test1
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "common/encoding.h"
#include "common/logging.h"
#include "common/random.h"
#include "operator/apiserver/server.h"

namespace {

// Writes `text` to `path` with mode 0600 (it holds the token), replacing it atomically.
brix::Status WritePrivateFile(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return brix::Status::IOError("cannot create " + tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return brix::Status::IOError("cannot write " + path);
  }
  return brix::Status::OK();
}

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
  std::string etcd = "http://127.0.0.1:2379";
  std::string listen = "127.0.0.1:8080";
  std::string kubeconfig_out;
  std::string token;
  std::string state_dir;
  bool plain_http = false;
  std::string kube_namespace = "default";
  std::string log_level = "info";
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
  CLI11_PARSE(app, argc, argv);

  if (brix::Status s = brix::InitLogging(log_level); !s.ok()) {
    std::fprintf(stderr, "brixd: %s\n", s.ToString().c_str());
    return 2;
  }
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "brixd: --listen must be HOST:PORT, got %s\n", listen.c_str());
    return 2;
  }
  brix::apiserver::ServerOptions options;
  options.etcd_endpoint = etcd;
  options.host = listen.substr(0, colon);
  try {
    options.port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    std::fprintf(stderr, "brixd: bad port in --listen %s\n", listen.c_str());
    return 2;
  }
  brix::apiserver::CertificatePem tls;
  if (!state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);  // first run: the folder may not exist
    if (ec) {
      std::fprintf(stderr, "brixd: --state-dir %s: %s\n", state_dir.c_str(), ec.message().c_str());
      return 1;
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
      std::fprintf(stderr, "brixd: %s\n", made.status().ToString().c_str());
      return 1;
    }
    tls = std::move(made).value();
  }
  if (!state_dir.empty()) {
    for (auto [name, text] : {std::pair{"/token", token}, std::pair{"/tls.crt", tls.cert},
                              std::pair{"/tls.key", tls.key}}) {
      if (brix::Status s = WritePrivateFile(state_dir + name, text); !s.ok()) {
        std::fprintf(stderr, "brixd: %s\n", s.ToString().c_str());
        return 1;
      }
    }
  }
  if (!plain_http) options.tls = tls;
  options.token = token;

  // Signals are taken by sigwait below, not by whichever thread happens to run.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = brix::apiserver::ApiServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "brixd: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::string url = (*server)->url();
  if (!kubeconfig_out.empty()) {
    brix::Status s = WritePrivateFile(
        kubeconfig_out, brix::apiserver::Kubeconfig(url, options.tls.cert, token, kube_namespace));
    if (!s.ok()) {
      std::fprintf(stderr, "brixd: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  spdlog::info("brixd serving {} (etcd {})", url, etcd);
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("brixd stopping on signal {}", sig);
  (*server)->Stop();
  return 0;
}
