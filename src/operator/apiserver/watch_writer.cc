#include "operator/apiserver/watch_writer.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace brix::apiserver {

using Clock = WatchStream::Clock;

struct WatchWriter::Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  std::shared_ptr<WatchStream> stream;
  std::string out;        // framed chunks not yet written
  size_t off = 0;         // written prefix of `out`
  int retry_len = 0;      // an SSL_write to repeat with the same length (OpenSSL's rule)
  bool want_out = false;  // EPOLLOUT registered
  bool ending = false;    // the final chunk is in `out`: close once written
  Clock::time_point last_write = Clock::now();
};

bool WatchStream::Send(std::string line) {
  WatchWriter* writer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || finishing_) return !closed_;
    pending_ += line;
    writer = writer_;
  }
  if (writer != nullptr) writer->Wake(shared_from_this());
  return true;
}

void WatchStream::Finish(std::string last_line) {
  WatchWriter* writer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || finishing_) return;
    pending_ += last_line;
    finishing_ = true;
    writer = writer_;
  }
  if (writer != nullptr) writer->Wake(shared_from_this());
}

Result<std::unique_ptr<WatchWriter>> WatchWriter::Start(std::function<void()> tick) {
  std::unique_ptr<WatchWriter> w(new WatchWriter());
  w->tick_ = std::move(tick);
  w->epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  w->wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->epoll_ < 0 || w->wake_ < 0) {
    return Status::Internal(std::string("watch writer: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = w->wake_;
  ::epoll_ctl(w->epoll_, EPOLL_CTL_ADD, w->wake_, &ev);
  WatchWriter* self = w.get();
  w->thread_ = std::thread([self] { self->Run(); });
  return w;
}

WatchWriter::~WatchWriter() {
  Stop();
  if (epoll_ >= 0) ::close(epoll_);
  if (wake_ >= 0) ::close(wake_);
}

void WatchWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  uint64_t one = 1;
  if (wake_ >= 0) (void)!::write(wake_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void WatchWriter::Adopt(std::shared_ptr<WatchStream> stream, HandedConnection conn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_) {
      adopted_.emplace_back(std::move(stream), conn);
      uint64_t one = 1;
      (void)!::write(wake_, &one, sizeof(one));
      return;
    }
  }
  stream->Close();
  if (conn.ssl != nullptr) SSL_free(conn.ssl);
  ::close(conn.fd);
}

void WatchWriter::Wake(std::shared_ptr<WatchStream> stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return;
  bool first = dirty_.empty();
  dirty_.push_back(std::move(stream));
  if (first) {
    uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof(one));
  }
}

void WatchWriter::Run() {
  epoll_event events[128];
  auto next_tick = Clock::now() + std::chrono::seconds(1);
  for (;;) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - Clock::now());
    int n = ::epoll_wait(epoll_, events, 128, std::max<int>(0, static_cast<int>(wait.count())));
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_) {
        uint64_t count;
        (void)!::read(wake_, &count, sizeof(count));
        continue;
      }
      auto it = conns_.find(fd);
      if (it == conns_.end()) continue;
      if (events[i].events & (EPOLLHUP | EPOLLERR)) {
        CloseConn(fd);
        continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLRDHUP)) Discard(*it->second);
      it = conns_.find(fd);
      if (it != conns_.end() && (events[i].events & EPOLLOUT)) Flush(*it->second);
    }
    std::vector<std::shared_ptr<WatchStream>> dirty;
    std::vector<std::pair<std::shared_ptr<WatchStream>, HandedConnection>> adopted;
    bool stopped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dirty.swap(dirty_);
      adopted.swap(adopted_);
      stopped = stopped_;
    }
    for (auto& [stream, hc] : adopted) {
      int flags = ::fcntl(hc.fd, F_GETFL);
      ::fcntl(hc.fd, F_SETFL, flags | O_NONBLOCK);
      if (hc.ssl != nullptr) {
        SSL_set_mode(hc.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      }
      auto c = std::make_unique<Conn>();
      c->fd = hc.fd;
      c->ssl = hc.ssl;
      c->stream = stream;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = hc.fd;
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, hc.fd, &ev);
      {
        std::lock_guard<std::mutex> lock(stream->mu_);
        stream->writer_ = this;
        stream->conn_fd_ = hc.fd;
      }
      Conn& ref = *c;
      conns_[hc.fd] = std::move(c);
      ++open_;
      Drain(ref);
    }
    for (auto& stream : dirty) {
      auto it = conns_.find(stream->conn_fd_);
      if (it != conns_.end() && it->second->stream == stream) Drain(*it->second);
    }
    if (stopped) {
      std::vector<int> fds;
      for (auto& [fd, c] : conns_) fds.push_back(fd);
      for (int fd : fds) {
        Conn& c = *conns_[fd];
        if (!c.ending) {
          c.out += "0\r\n\r\n";
          c.ending = true;
        }
        Flush(c);  // best effort: closes when written
        if (conns_.count(fd)) CloseConn(fd);
      }
      return;
    }
    if (Clock::now() >= next_tick) {
      Tick();
      next_tick = Clock::now() + std::chrono::seconds(1);
    }
  }
}

void WatchWriter::Drain(Conn& c) {
  std::string data;
  bool finishing, closed;
  {
    std::lock_guard<std::mutex> lock(c.stream->mu_);
    data.swap(c.stream->pending_);
    finishing = c.stream->finishing_;
    closed = c.stream->closed_;
  }
  if (closed) return CloseConn(c.fd);
  if (!data.empty() && !c.ending) {
    char size[24];
    std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    c.out += size;
    c.out += data;
    c.out += "\r\n";
  }
  if (finishing && !c.ending) {
    c.out += "0\r\n\r\n";
    c.ending = true;
  }
  Flush(c);
}

void WatchWriter::Flush(Conn& c) {
  if (c.out.size() - c.off > kMaxBacklog) return CloseConn(c.fd);  // a client that stopped reading
  while (c.off < c.out.size()) {
    int len = c.retry_len != 0 ? c.retry_len
                               : static_cast<int>(std::min<size_t>(c.out.size() - c.off, 1 << 16));
    ssize_t n;
    bool again = false;
    if (c.ssl != nullptr) {
      ERR_clear_error();  // SSL_get_error reads this thread's queue
      n = SSL_write(c.ssl, c.out.data() + c.off, len);
      if (n <= 0) {
        int err = SSL_get_error(c.ssl, static_cast<int>(n));
        if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) return CloseConn(c.fd);
        c.retry_len = len;
        again = true;
      }
    } else {
      n = ::send(c.fd, c.out.data() + c.off, static_cast<size_t>(len), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return CloseConn(c.fd);
        again = true;
      }
    }
    if (again) {
      if (!c.want_out) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
        ev.data.fd = c.fd;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
        c.want_out = true;
      }
      return;
    }
    c.retry_len = 0;
    c.off += static_cast<size_t>(n);
    c.last_write = Clock::now();
  }
  c.out.clear();
  c.off = 0;
  if (c.want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = c.fd;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = false;
  }
  if (c.ending) CloseConn(c.fd);
}

void WatchWriter::Discard(Conn& c) {
  char buf[4096];
  for (;;) {
    if (c.ssl != nullptr) {
      ERR_clear_error();
      int n = SSL_read(c.ssl, buf, sizeof(buf));
      if (n > 0) continue;
      int err = SSL_get_error(c.ssl, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
      return CloseConn(c.fd);
    }
    ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return CloseConn(c.fd);
  }
}

void WatchWriter::CloseConn(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  std::unique_ptr<Conn> c = std::move(it->second);
  conns_.erase(it);
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  {
    std::lock_guard<std::mutex> lock(c->stream->mu_);
    c->stream->writer_ = nullptr;
    c->stream->conn_fd_ = -1;
    c->stream->closed_ = true;
  }
  if (c->ssl != nullptr) {
    if (c->ending && c->off >= c->out.size()) SSL_shutdown(c->ssl);  // close_notify, no wait
    SSL_free(c->ssl);
    ERR_clear_error();
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  --open_;
}

void WatchWriter::Tick() {
  auto now = Clock::now();
  std::vector<int> fds;
  fds.reserve(conns_.size());
  for (auto& [fd, c] : conns_) fds.push_back(fd);
  for (int fd : fds) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) continue;
    Conn& c = *it->second;
    if (c.ending) continue;
    if (c.stream->deadline_ && now >= *c.stream->deadline_) {
      c.stream->Finish("");
    } else if (c.off == c.out.size() && now - c.last_write >= kHeartbeat) {
      c.out += "1\r\n\n\r\n";
      Flush(c);
    }
  }
  if (tick_) tick_();
}

}  // namespace brix::apiserver
