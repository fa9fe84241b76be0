// Watches at scale against the brixd binary: many open watches hold neither an HTTP worker
// thread nor an etcd watch each, so plain requests stay fast while every watcher still sees
// every change (watch_hub.h, watch_writer.h). The many watchers are raw HTTPS clients driven
// from one poll loop here; at least one is the real `kubectl get -w`.
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <iostream>
#include <mutex>
#include <thread>

#include "operator/apiserver/brixd_fixture.h"
#include "operator/apiserver/server.h"

namespace brix::apiserver {
namespace {

// A watch response read without blocking: headers, then chunked JSON lines, counted by type.
struct RawWatch {
  int fd = -1;
  SSL* ssl = nullptr;
  std::string raw;   // undecoded bytes
  std::string body;  // decoded, not yet a full line
  int status = 0;    // 0 until the headers arrived
  bool ended = false;
  std::map<std::string, int> events;  // by type

  int Count(const std::string& type) const {
    auto it = events.find(type);
    return it == events.end() ? 0 : it->second;
  }

  void Decode() {
    if (status == 0) {
      size_t end = raw.find("\r\n\r\n");
      if (end == std::string::npos) return;
      status = std::atoi(raw.c_str() + raw.find(' ') + 1);
      raw.erase(0, end + 4);
    }
    for (;;) {
      size_t eol = raw.find("\r\n");
      if (eol == std::string::npos) return;
      size_t size = std::stoul(raw.substr(0, eol), nullptr, 16);
      if (size == 0) {
        ended = true;
        return;
      }
      if (raw.size() < eol + 2 + size + 2) return;
      body += raw.substr(eol + 2, size);
      raw.erase(0, eol + 2 + size + 2);
    }
  }

  void CountLines() {
    size_t nl;
    while ((nl = body.find('\n')) != std::string::npos) {
      std::string line = body.substr(0, nl);
      body.erase(0, nl + 1);
      if (line.empty()) continue;  // a heartbeat
      Json e = Json::parse(line, nullptr, false);
      events[e.is_object() ? e.value("type", "?") : "?"]++;
    }
  }
};

class RawWatches {
 public:
  RawWatches() : ctx_(SSL_CTX_new(TLS_client_method())) {}
  ~RawWatches() {
    for (auto& w : watches_) {
      SSL_free(w.ssl);
      ::close(w.fd);
    }
    SSL_CTX_free(ctx_);
  }

  // Connects, handshakes and sends the request (blocking); the reply is read by Pump().
  bool Open(int port, const std::string& path, const std::string& token) {
    RawWatch w;
    w.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};  // a server whose workers are all taken must fail the test, not hang it
    ::setsockopt(w.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(w.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(w.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(w.fd);
      return false;
    }
    w.ssl = SSL_new(ctx_);
    SSL_set_fd(w.ssl, w.fd);
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                          token + "\r\nAccept: application/json\r\n\r\n";
    bool ok = SSL_connect(w.ssl) == 1 &&
              SSL_write(w.ssl, request.data(), static_cast<int>(request.size())) ==
                  static_cast<int>(request.size());
    ::fcntl(w.fd, F_SETFL, ::fcntl(w.fd, F_GETFL) | O_NONBLOCK);
    watches_.push_back(std::move(w));
    return ok;
  }

  // Reads whatever arrived within `timeout`.
  void Pump(std::chrono::milliseconds timeout) {
    std::vector<pollfd> fds;
    for (auto& w : watches_) fds.push_back(pollfd{w.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) <= 0) return;
    char buf[16384];
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      RawWatch& w = watches_[i];
      int n;
      while ((n = SSL_read(w.ssl, buf, sizeof(buf))) > 0) w.raw.append(buf, static_cast<size_t>(n));
      w.Decode();
      w.CountLines();
    }
  }

  // Pumps until every watch satisfies `done` or `deadline` passes.
  bool PumpUntil(const std::function<bool(const RawWatch&)>& done, std::chrono::seconds deadline) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      if (std::all_of(watches_.begin(), watches_.end(), done)) return true;
      Pump(100ms);
    }
    return std::all_of(watches_.begin(), watches_.end(), done);
  }

  const std::vector<RawWatch>& watches() const { return watches_; }

 private:
  SSL_CTX* ctx_;
  std::vector<RawWatch> watches_;
};

int Threads(pid_t pid) {
  std::string status = testing::FileContents("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("Threads:");
  return at == std::string::npos ? -1 : std::atoi(status.c_str() + at + 8);
}

TEST_F(BrixdTest, FiveHundredWatchesLeavePlainRequestsFastAndEachSeesEveryChange) {
  constexpr int kWatches = 500;
  constexpr int kCreates = 20;
  constexpr int kDeletes = 5;
  rlimit fds{};
  ::getrlimit(RLIMIT_NOFILE, &fds);
  ASSERT_GT(fds.rlim_cur, static_cast<rlim_t>(kWatches + 100)) << "raise `ulimit -n`";
  Ok({"create", "serviceaccount", "before", "-n", "w"});
  Ok({"get", "serviceaccounts", "-n", "w"});  // fills kubectl's discovery cache
  int idle_threads = Threads(brixd_.pid());

  // The real kubectl watching, with server-side Table rows.
  auto kubectl_watch = ChildProcess::Start(
      {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir", dir_.path() + "/kube-cache", "get",
       "serviceaccounts", "-n", "w", "-w", "--output-watch-events"},
      {}, dir_.path() + "/watch.log");
  ASSERT_TRUE(kubectl_watch.ok());
  RawWatches raw;
  std::string token = Token();
  for (int i = 0; i < kWatches; ++i) {
    ASSERT_TRUE(raw.Open(port_, "/api/v1/namespaces/w/serviceaccounts?watch=true", token)) << i;
  }
  // Each reply's headers are written once its subscription is in place; the initial state is
  // the one existing account.
  ASSERT_TRUE(raw.PumpUntil([](const RawWatch& w) { return w.Count("ADDED") == 1; }, 20s))
      << "watches answered: "
      << std::count_if(raw.watches().begin(), raw.watches().end(),
                       [](const RawWatch& w) { return w.status == 200; });
  ASSERT_TRUE(PollUntil(
      [&] {
        return testing::FileContents(dir_.path() + "/watch.log").find("before") !=
               std::string::npos;
      },
      10s));

  // Plain requests do not wait behind the watches, and brixd has no thread per watch.
  auto start = std::chrono::steady_clock::now();
  std::string listed = Ok({"get", "serviceaccounts", "-n", "w"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(listed.find("before"), std::string::npos) << listed;
  EXPECT_LT(took, 1s) << "kubectl get took "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms with " << kWatches << " watches open";
  int open_threads = Threads(brixd_.pid());
  std::cout << "[ FIGURES  ] " << kWatches << " watches open; kubectl get "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms; brixd threads " << idle_threads << " idle, " << open_threads
            << " with the watches\n";
  EXPECT_LT(open_threads, idle_threads + 20)
      << "brixd threads: " << idle_threads << " idle, " << open_threads << " with watches";

  // Every watcher sees every change.
  std::string before_changes =
      GetJson("/api/v1/namespaces/w/serviceaccounts")["metadata"]["resourceVersion"];
  auto client = Http();
  for (int i = 0; i < kCreates; ++i) {
    auto res = client->Post("/api/v1/namespaces/w/serviceaccounts",
                            Json{{"metadata", {{"name", "sa-" + std::to_string(i)}}}}.dump(),
                            "application/json");
    ASSERT_TRUE(res && res->status == 201) << (res ? res->body : "no response");
  }
  for (int i = 0; i < kDeletes; ++i) {
    auto res = client->Delete("/api/v1/namespaces/w/serviceaccounts/sa-" + std::to_string(i));
    ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
  }
  auto written = std::chrono::steady_clock::now();
  EXPECT_TRUE(raw.PumpUntil(
      [](const RawWatch& w) {
        return w.Count("ADDED") == 1 + kCreates && w.Count("DELETED") == kDeletes;
      },
      20s));
  std::cout << "[ FIGURES  ] every watcher saw every change "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - written)
                   .count()
            << " ms after the last write\n";
  int complete = 0;
  for (const auto& w : raw.watches()) {
    complete += w.Count("ADDED") == 1 + kCreates && w.Count("DELETED") == kDeletes &&
                w.events.size() == 2 && w.status == 200;
  }
  EXPECT_EQ(complete, kWatches);
  auto kubectl_saw = [&](const std::string& type) {
    std::string log = testing::FileContents(dir_.path() + "/watch.log");
    int n = 0;
    for (size_t at = log.find(type); at != std::string::npos; at = log.find(type, at + 1)) ++n;
    return n;
  };
  EXPECT_TRUE(PollUntil(
      [&] { return kubectl_saw("ADDED") == 1 + kCreates && kubectl_saw("DELETED") == kDeletes; },
      10s))
      << testing::FileContents(dir_.path() + "/watch.log");
  kubectl_watch->Stop();

  // A watch from a recent resourceVersion is replayed from the hub's history: the same changes,
  // and no etcd watch (thread) of its own.
  RawWatches late;
  ASSERT_TRUE(late.Open(
      port_, "/api/v1/namespaces/w/serviceaccounts?watch=true&resourceVersion=" + before_changes,
      token));
  // Each request still filters by its own selectors.
  ASSERT_TRUE(late.Open(port_,
                        "/api/v1/namespaces/w/serviceaccounts?watch=true&fieldSelector=metadata."
                        "name%3Dsa-10&resourceVersion=" +
                            before_changes,
                        token));
  const RawWatch& all = late.watches()[0];
  const RawWatch& one = late.watches()[1];
  EXPECT_TRUE(PollUntil(
      [&] {
        late.Pump(100ms);
        return all.Count("ADDED") == kCreates && all.Count("DELETED") == kDeletes &&
               one.Count("ADDED") == 1;
      },
      10s));
  EXPECT_EQ(one.Count("DELETED"), 0);
  EXPECT_LE(Threads(brixd_.pid()), open_threads);
}

TEST_F(BrixdTest, WatchFromACompactedRevisionEndsWith410Expired) {
  Ok({"create", "serviceaccount", "a", "-n", "w"});
  Ok({"create", "serviceaccount", "b", "-n", "w"});
  std::string rv = GetJson("/api/v1/namespaces/w/serviceaccounts/b")["metadata"]["resourceVersion"];
  // Compact etcd up to now through its JSON gateway (mutual TLS with the test's certificate).
  httplib::SSLClient etcd("127.0.0.1",
                          std::stoi(etcd_->endpoint().substr(etcd_->endpoint().rfind(':') + 1)),
                          std::getenv("BRIX_TLS_CERT_FILE"), std::getenv("BRIX_TLS_KEY_FILE"));
  etcd.enable_server_certificate_verification(false);
  auto compacted = etcd.Post("/v3/kv/compaction", Json{{"revision", rv}, {"physical", true}}.dump(),
                             "application/json");
  ASSERT_TRUE(compacted && compacted->status == 200)
      << (compacted ? compacted->body : httplib::to_string(compacted.error()));

  // A revision etcd still holds is replayed; one it compacted ends with 410 Expired.
  for (const std::string& from : {rv, std::string("1")}) {
    std::string events;
    auto res = Http()->Get(
        "/api/v1/namespaces/w/serviceaccounts?watch=true&timeoutSeconds=1&resourceVersion=" + from,
        [&](const char* data, size_t len) {
          events.append(data, len);
          return true;
        });
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    if (from == rv) {
      EXPECT_EQ(events.find("ERROR"), std::string::npos) << events;
      continue;
    }
    Json first = Json::parse(events.substr(0, events.find('\n')), nullptr, false);
    ASSERT_TRUE(first.is_object()) << events;
    EXPECT_EQ(first["type"], "ERROR") << events;
    EXPECT_EQ(first["object"]["code"], 410);
    EXPECT_EQ(first["object"]["reason"], "Expired");
  }
}

// In process, with plain HTTP (no TLS session to hand over): a watch sees changes and bookmarks,
// ends at its timeoutSeconds, and an open one ends when the server stops.
TEST(PlainHttpWatch, SeesChangesAndBookmarksEndsAtItsTimeoutAndWhenTheServerStops) {
  auto etcd = brix::testing::EtcdServer::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
  ServerOptions options;
  options.etcd_endpoint = (*etcd)->endpoint();
  options.token = "admin-token";
  options.watch_bookmark_interval = 1s;
  auto server = ApiServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = [&] {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", (*server)->port());
    c->set_bearer_token_auth("admin-token");
    c->set_read_timeout(30, 0);
    return c;
  };
  const std::string path = "/api/v1/namespaces/w/serviceaccounts";

  auto start = std::chrono::steady_clock::now();
  auto timed = client()->Get(path + "?watch=true&timeoutSeconds=1");
  ASSERT_TRUE(timed);
  EXPECT_EQ(timed->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  std::mutex mu;
  std::string events;
  int open_status = 0;
  std::thread watcher([&] {
    auto res = client()->Get(path + "?watch=true&allowWatchBookmarks=true",
                             [&](const char* data, size_t len) {
                               std::lock_guard<std::mutex> lock(mu);
                               events.append(data, len);
                               return true;
                             });
    open_status = res ? res->status : -1;
  });
  auto seen = [&](const std::string& s) {
    std::lock_guard<std::mutex> lock(mu);
    return events.find(s) != std::string::npos;
  };
  ASSERT_TRUE(PollUntil(
      [&] {
        // Retried until the watch is established: the first writes may precede it.
        static int n = 0;
        std::string name = "sa-" + std::to_string(++n);
        auto res =
            client()->Post(path, Json{{"metadata", {{"name", name}}}}.dump(), "application/json");
        return res && res->status == 201 && PollUntil([&] { return seen(name); }, 1s);
      },
      20s));
  // A bookmark at the revision of the last change.
  std::string last_rv = client()->Get(path).value().body;
  last_rv = Json::parse(last_rv)["metadata"]["resourceVersion"];
  EXPECT_TRUE(PollUntil(
      [&] {
        return seen(R"({"object":{"apiVersion":"v1","kind":"ServiceAccount","metadata":{)"
                    R"("resourceVersion":")" +
                    last_rv + R"("}},"type":"BOOKMARK"})");
      },
      5s))
      << events;
  start = std::chrono::steady_clock::now();
  (*server)->Stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(open_status, 200);
}

}  // namespace
}  // namespace brix::apiserver
