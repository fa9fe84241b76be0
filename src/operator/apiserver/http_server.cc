#include "operator/apiserver/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace brix::apiserver {

namespace {

// The hand-off registered by the request being served on this thread (see HandOff()).
thread_local std::function<void(HandedConnection)>* t_handoff = nullptr;

// Waits up to `timeout_ms` for `events` on `fd`; true when ready.
bool PollFd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

void IpAndPort(const sockaddr_storage& addr, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    port = ntohs(a->sin6_port);
  }
  ip = buf;
}

// httplib's Stream over a blocking socket, with or without TLS. Reads are buffered (httplib
// reads request lines a byte at a time) and wait at most `timeout_ms` for data.
class ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(int fd, SSL* ssl, int timeout_ms)
      : fd_(fd), ssl_(ssl), timeout_ms_(timeout_ms) {}

  // Buffered or TLS-pending bytes, or the socket readable within `timeout_ms`.
  bool WaitReadable(int timeout_ms) const {
    if (begin_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
    return PollFd(fd_, POLLIN, timeout_ms);
  }

  bool is_readable() const override { return WaitReadable(timeout_ms_); }
  bool is_writable() const override { return PollFd(fd_, POLLOUT, timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (begin_ == end_) {
      if (!WaitReadable(timeout_ms_)) return -1;
      ssize_t n =
          ssl_ != nullptr ? SSL_read(ssl_, buf_, sizeof(buf_)) : ::recv(fd_, buf_, sizeof(buf_), 0);
      if (n <= 0) return n == 0 ? 0 : -1;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buf_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    size_t done = 0;
    while (done < size) {
      if (!is_writable()) return -1;
      ssize_t n = ssl_ != nullptr ? SSL_write(ssl_, ptr + done, static_cast<int>(size - done))
                                  : ::send(fd_, ptr + done, size - done, MSG_NOSIGNAL);
      if (n <= 0) {
        if (ssl_ == nullptr && n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return -1;
      }
      done += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(done);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      IpAndPort(addr, ip, port);
    }
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      IpAndPort(addr, ip, port);
    }
  }
  socket_t socket() const override { return fd_; }

 private:
  int fd_;
  SSL* ssl_;
  int timeout_ms_;
  char buf_[4096];
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const CertificatePem& tls) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  if (tls.cert.empty()) return server;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::Internal("cannot create a TLS context");
  server->ctx_ = ctx;
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  BIO* cert_bio = BIO_new_mem_buf(tls.cert.data(), static_cast<int>(tls.cert.size()));
  BIO* key_bio = BIO_new_mem_buf(tls.key.data(), static_cast<int>(tls.key.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO_free(key_bio);
  bool ok = cert != nullptr && key != nullptr && SSL_CTX_use_certificate(ctx, cert) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) {
    ERR_clear_error();
    return Status::InvalidArgument("the TLS certificate or key is not valid PEM, or they differ");
  }
  return server;
}

HttpServer::~HttpServer() {
  // Stop (and join the workers) before the TLS context goes away.
  stop();
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

bool HttpServer::HandOff(std::function<void(HandedConnection)> adopt) {
  if (t_handoff == nullptr) return false;
  *t_handoff = std::move(adopt);
  return true;
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  const int timeout_ms = static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000);
  int yes = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  timeval tv{read_timeout_sec_, static_cast<suseconds_t>(read_timeout_usec_)};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  SSL* ssl = nullptr;
  bool served = true;
  if (ctx_ != nullptr) {
    ssl = SSL_new(ctx_);
    if (ssl == nullptr || SSL_set_fd(ssl, sock) != 1 || SSL_accept(ssl) != 1) {
      served = false;
    }
  }
  std::function<void(HandedConnection)> handoff;
  if (served) {
    ConnectionStream stream(sock, ssl, timeout_ms);
    t_handoff = &handoff;
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
      // Keep-alive: wait for the next request, in slices so that stop() is noticed.
      bool readable = false;
      auto idle_until =
          std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
      while (svr_sock_ != INVALID_SOCKET && std::chrono::steady_clock::now() < idle_until) {
        if ((readable = stream.WaitReadable(100))) break;
      }
      if (!readable) break;
      bool closed = false;
      bool ok = process_request(stream, left == 1, closed,
                                [ssl](httplib::Request& req) { req.ssl = ssl; });
      // Bytes of a pipelined next request (no client does that after a watch) are dropped.
      if (handoff) break;
      if (!ok || closed) break;
    }
    t_handoff = nullptr;
  }
  if (handoff) {
    handoff(HandedConnection{sock, ssl});
    return true;
  }
  if (ssl != nullptr) {
    if (served) SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  ERR_clear_error();
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return served;
}

}  // namespace brix::apiserver
