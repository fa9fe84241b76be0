#include "operator/apiserver/server.h"

#include "common/encoding.h"
#include "operator/apiserver/server_impl.h"

namespace brix::apiserver {

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

Result<std::unique_ptr<ApiServer>> ApiServer::Start(ServerOptions options) {
  if (options.token.empty()) return Status::InvalidArgument("brixd needs a bearer token");
  auto impl = std::make_unique<Impl>();
  BRIX_ASSIGN_OR_RETURN(impl->etcd, etcd::EtcdClient::Connect(options.etcd_endpoint));
  // Fail early with a clear message when etcd is not there.
  auto probe = impl->etcd->Get("/brix/registry");
  if (!probe.ok()) return probe.status().WithContext("etcd at " + options.etcd_endpoint);
  impl->registry = std::make_unique<Registry>(impl->etcd.get());
  if (options.controller_token.empty()) options.controller_token = NewToken();
  impl->access = std::make_unique<AccessControl>(impl->etcd.get(), impl->registry.get(),
                                                 options.token, options.controller_token);
  impl->access->AllowJobCreators(options.job_creators);
  impl->options = options;
  BRIX_ASSIGN_OR_RETURN(impl->http, HttpServer::Create(options.tls));
  impl->hubs = std::make_unique<WatchHubs>(impl->registry.get(), options.watch_bookmark_interval);
  WatchHubs* hubs = impl->hubs.get();
  BRIX_ASSIGN_OR_RETURN(impl->writer, WatchWriter::Start([hubs] { hubs->CheckAll(); }));
  Impl* self = impl.get();
  int threads = options.max_threads;
  impl->http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would let a second brixd
  // share the port silently instead of failing to start.
  impl->http->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  impl->http->set_keep_alive_max_count(1000);
  impl->http->set_payload_max_length(16 << 20);
  auto handler = [self](const httplib::Request& req, httplib::Response& res) {
    self->Handle(req, res);
  };
  impl->http->Get(".*", handler);
  impl->http->Post(".*", handler);
  impl->http->Put(".*", handler);
  impl->http->Patch(".*", handler);
  impl->http->Delete(".*", handler);
  if (options.port == 0) {
    impl->port = impl->http->bind_to_any_port(options.host);
  } else {
    impl->port = impl->http->bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (impl->port <= 0) {
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port));
  }
  impl->thread = std::thread([self] { self->http->listen_after_bind(); });
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

int ApiServer::port() const { return impl_->port; }

const std::string& ApiServer::controller_token() const { return impl_->options.controller_token; }

std::string ApiServer::url() const {
  return std::string(impl_->options.tls.cert.empty() ? "http://" : "https://") +
         impl_->options.host + ":" + std::to_string(impl_->port);
}

void ApiServer::Stop() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->stopping = true;
    impl_->stop_cv.notify_all();
  }
  impl_->http->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // No handler runs now; end the open watches, then their etcd watches.
  impl_->writer->Stop();
  impl_->hubs->Stop();
}

void ApiServer::Wait() {
  std::unique_lock<std::mutex> lock(impl_->stop_mu);
  impl_->stop_cv.wait(lock, [this] { return impl_->stopping.load(); });
}

std::string Kubeconfig(const std::string& server_url, const std::string& ca_pem,
                       const std::string& token, const std::string& ns) {
  std::string out = "apiVersion: v1\nkind: Config\nclusters:\n- name: brixd\n  cluster:\n";
  out += "    server: " + server_url + "\n";
  if (!ca_pem.empty()) out += "    certificate-authority-data: " + Base64Encode(ca_pem) + "\n";
  out += "users:\n- name: brixd\n  user:\n    token: " + token + "\n";
  out += "contexts:\n- name: brixd\n  context:\n    cluster: brixd\n    user: brixd\n";
  out += "    namespace: " + ns + "\ncurrent-context: brixd\n";
  return out;
}

}  // namespace brix::apiserver
