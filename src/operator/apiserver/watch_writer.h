// WatchWriter: one thread that writes every open watch response, so that watches hold no HTTP
// worker thread (server_watch.cc, http_server.h).
//
// A WatchStream is one watch's response body: any thread queues lines into it (Send), and once
// its connection is adopted (Adopt, after httplib wrote the 200 and `Transfer-Encoding: chunked`
// headers) the writer frames them as HTTP chunks and writes them without blocking, over TLS or
// plain TCP, using epoll. Contracts:
//   - Lines are written in the order they were queued; a stream whose client does not read
//     falls behind by at most kMaxBacklog bytes, then it is closed (its client re-lists, as with
//     Kubernetes' slow watchers), so memory stays bounded.
//   - A client that closes its end is noticed at once (EPOLLRDHUP/EOF); its stream is closed and
//     Send() returns false from then on.
//   - An idle stream gets a newline every kHeartbeat (JSON stream decoders skip it; it keeps
//     proxies and load balancers from timing the connection out).
//   - A stream ends (final chunk, then close) at its deadline (`timeoutSeconds`), on Finish(),
//     and at Stop().
//   - `tick` (if set) runs on the writer thread about once a second (the hubs' health checks).
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "operator/apiserver/http_server.h"

namespace brix::apiserver {

class WatchWriter;

class WatchStream : public std::enable_shared_from_this<WatchStream> {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WatchStream(std::optional<Clock::time_point> deadline) : deadline_(deadline) {}

  // Queues `line` (one JSON event and "\n"). False once the stream is closed: drop it then.
  bool Send(std::string line);
  // Queues `last_line` (may be empty), then ends the response and closes the connection.
  void Finish(std::string last_line);
  // Ends at once without writing more (also for a stream that was never adopted).
  void Close() { closed_ = true; }
  bool closed() const { return closed_.load(); }

 private:
  friend class WatchWriter;
  const std::optional<Clock::time_point> deadline_;
  std::mutex mu_;
  std::string pending_;
  bool finishing_ = false;
  WatchWriter* writer_ = nullptr;  // set once adopted, cleared when the connection closes
  int conn_fd_ = -1;               // the writer thread's own: the connection writing it
  std::atomic<bool> closed_{false};
};

class WatchWriter {
 public:
  static constexpr size_t kMaxBacklog = 16 << 20;
  static constexpr auto kHeartbeat = std::chrono::seconds(5);

  [[nodiscard]] static Result<std::unique_ptr<WatchWriter>> Start(std::function<void()> tick);
  ~WatchWriter();  // Stop()

  // Takes over `conn` (its response headers already written) to write `stream` into it.
  void Adopt(std::shared_ptr<WatchStream> stream, HandedConnection conn);
  // Ends every stream (final chunk, best effort), closes their connections and joins the
  // thread. Streams adopted or woken later are closed at once. Idempotent.
  void Stop();
  size_t open_streams() const { return open_.load(); }

 private:
  friend class WatchStream;
  struct Conn;
  WatchWriter() = default;
  void Wake(std::shared_ptr<WatchStream> stream);
  void Run();
  void Drain(Conn& c);    // moves the stream's queued lines into the output as chunks
  void Flush(Conn& c);    // writes what it can; closes on error, backlog or a finished end
  void Discard(Conn& c);  // reads and drops what the client sent; closes on EOF
  void CloseConn(int fd);
  void Tick();

  int epoll_ = -1;
  int wake_ = -1;  // eventfd
  std::function<void()> tick_;
  std::thread thread_;
  std::mutex mu_;  // guards the three below
  bool stopped_ = false;
  std::vector<std::shared_ptr<WatchStream>> dirty_;
  std::vector<std::pair<std::shared_ptr<WatchStream>, HandedConnection>> adopted_;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;  // writer thread only
  std::atomic<size_t> open_{0};
};

}  // namespace brix::apiserver
