#include "net/status_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <thread>

#include "common/metrics.h"

namespace brix::net {

Result<std::unique_ptr<StatusServer>> StatusServer::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--status-addr must be HOST:PORT, got '" + address + "'");
  }
  std::string host = address.substr(0, colon);
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(address.substr(colon + 1), &used);
    if (used != address.size() - colon - 1 || port < 0 || port > 65535) throw std::exception();
  } catch (const std::exception&) {
    return Status::InvalidArgument("--status-addr: bad port in '" + address + "' (0 to 65535)");
  }
  std::unique_ptr<StatusServer> s(new StatusServer());
  s->server_ = std::make_unique<httplib::Server>();
  s->server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  // httplib's default also sets SO_REUSEPORT, with which a second process could bind the same
  // port and share its connections; a taken port must be an error.
  s->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s->server_->Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics::Default().Render(), metrics::kContentType);
  });
  s->server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  if (port == 0) {
    port = s->server_->bind_to_any_port(host);
  } else if (!s->server_->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) return Status::Unavailable("status server: cannot listen on " + address);
  s->host_ = host;
  s->port_ = port;
  s->thread_ = std::thread([server = s->server_.get()] { server->listen_after_bind(); });
  // httplib's stop() does nothing before the accept loop runs, so Stop() could not end it:
  // return once it runs (microseconds; httplib 0.11 has no wait_until_ready).
  while (!s->server_->is_running()) std::this_thread::yield();
  return s;
}

void StatusServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

StatusServer::~StatusServer() { Stop(); }

}  // namespace brix::net
