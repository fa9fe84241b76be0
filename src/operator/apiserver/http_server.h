// HttpServer: cpp-httplib's Server (request parsing, routing, keep-alive) with the connection's
// lifecycle in brixd's hands, so that a long response can leave the worker thread.
//
// httplib serves each connection on one pool thread from accept to close, and its chunked
// content provider holds that thread for as long as the response lasts: each open watch held
// one of brixd's 64 workers (70 `kubectl get -w` made a plain `kubectl get` wait 13.6 s). This
// class overrides httplib's per-connection step (Server::process_and_close_socket, a documented
// virtual) to do the TLS handshake and keep-alive loop itself, around httplib's own
// process_request; a handler's content provider may then call HandOff() to take the connection
// (socket and TLS session) once the response headers are on the wire, and the worker thread
// returns to the pool. server_watch.cc gives such connections to WatchWriter (watch_writer.h).
//
// Why not an asynchronous HTTP library: Debian packages Boost.Beast (libboost-dev) and
// libmicrohttpd, but either means rewriting every handler and the other streaming responses
// (logs -f) against a new request type; httplib's Request/Response stay the handlers' types here
// and only the connection step (about 150 lines over OpenSSL) is brixd's own.
//
// TLS: TLS 1.2 or later with the given certificate and key (no client certificates); plain HTTP
// when `tls` is empty (probes and tests only).
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <functional>
#include <memory>

#include "common/result.h"
#include "operator/apiserver/tls.h"

namespace brix::apiserver {

// An accepted connection handed over by HandOff(): the receiver owns both (SSL_free, close).
struct HandedConnection {
  int fd = -1;
  SSL* ssl = nullptr;  // nullptr for plain HTTP
};

class HttpServer : public httplib::Server {
 public:
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> Create(const CertificatePem& tls);
  ~HttpServer() override;

  bool is_valid() const override { return true; }

  // Called on the worker thread while it serves a request of this server (in practice from a
  // chunked content provider, after httplib wrote the response headers): when the current
  // response ends (the provider returns false), the connection goes to `adopt` instead of being
  // closed, and nothing more is read from or written to it by httplib. Returns false when the
  // calling thread is not serving a request of an HttpServer.
  static bool HandOff(std::function<void(HandedConnection)> adopt);

 private:
  HttpServer() = default;
  bool process_and_close_socket(socket_t sock) override;

  SSL_CTX* ctx_ = nullptr;
};

}  // namespace brix::apiserver
