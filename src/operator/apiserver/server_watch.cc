// ApiServer watch streams: the current state or a resourceVersion, then every change as a JSON
// line, heartbeats while idle, and a 410 Expired ERROR event when etcd's watch ends
// (server_impl.h).
#include <chrono>
#include <deque>
#include <optional>

#include "operator/apiserver/server_impl.h"
#include "operator/apiserver/table.h"

namespace brix::apiserver {

namespace {

using Clock = std::chrono::steady_clock;

// Not plain "application/json": httplib would gzip the stream (kubectl accepts gzip), and its
// compressor holds events back until enough bytes accumulate.
constexpr char kWatchContentType[] = "application/json;stream=watch";
// While a watch is idle a newline is sent this often: JSON stream decoders skip it, and the
// failed write is how a closed client is noticed (httplib cannot tell otherwise).
constexpr auto kWatchHeartbeat = std::chrono::seconds(1);

// The events of one watch request, handed from etcd's watch thread to the HTTP thread.
struct WatchQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;
  bool ended = false;

  void Push(std::string line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(std::move(line));
    cv.notify_all();
  }
  void End() {
    std::lock_guard<std::mutex> lock(mu);
    ended = true;
    cv.notify_all();
  }
};

}  // namespace

void ApiServer::Impl::WatchCollection(const httplib::Request& req, httplib::Response& res,
                                      const Target& t) {
  auto selectors = ParseSelectors(req, t);
  if (!selectors.ok()) return Fail(res, selectors.error());
  bool table = WantsTable(req);
  std::optional<Clock::time_point> deadline;
  if (req.has_param("timeoutSeconds")) {
    try {
      deadline =
          Clock::now() + std::chrono::seconds(std::stoll(req.get_param_value("timeoutSeconds")));
    } catch (const std::exception&) {
      return Fail(res, ApiError::BadRequest("timeoutSeconds must be an integer"));
    }
  }
  auto queue = std::make_shared<WatchQueue>();
  const api::ResourceInfo& info = *t.info;
  const api::ResourceInfo* info_ptr = t.info;
  // Only the first Table event carries the column definitions, as the API server does.
  auto first_table = std::make_shared<std::atomic<bool>>(true);
  auto encode = [info_ptr, table, first_table](const WatchEvent& e) {
    Json object = e.object;
    if (table) {
      object =
          ToTable(*info_ptr, {e.object}, std::chrono::system_clock::now(),
                  e.object["metadata"].value("resourceVersion", ""), first_table->exchange(false));
    }
    return Json{{"type", e.type}, {"object", object}}.dump() + "\n";
  };
  int64_t after = 0;
  std::string rv = req.get_param_value("resourceVersion");
  if (rv.empty() || rv == "0") {
    // No starting point: the current state as ADDED events, then changes after it.
    auto list = registry->List(info, t.ns);
    if (!list.ok()) return Fail(res, list.error());
    for (auto& item : list.value().items) {
      if (selectors.value().Matches(item)) queue->Push(encode({"ADDED", std::move(item)}));
    }
    after = list.value().revision;
  } else {
    try {
      after = std::stoll(rv);
    } catch (const std::exception&) {
      return Fail(res, ApiError::BadRequest("resourceVersion must be an integer"));
    }
  }
  Selectors sel = std::move(selectors.value());
  auto watch = registry->Watch(info, t.ns, after, [queue, sel, encode](const WatchEvent& e) {
    if (sel.Matches(e.object)) queue->Push(encode(e));
    return true;
  });
  if (!watch.ok()) return Fail(res, ApiError::FromStatus(watch.status()));
  std::shared_ptr<etcd::Watch> etcd_watch(std::move(watch).value());
  res.status = 200;
  res.set_header("Cache-Control", "no-cache, private");
  res.set_chunked_content_provider(
      kWatchContentType,
      [this, queue, etcd_watch, deadline](size_t, httplib::DataSink& sink) {
        std::unique_lock<std::mutex> lock(queue->mu);
        queue->cv.wait_for(lock, kWatchHeartbeat,
                           [&] { return !queue->lines.empty() || queue->ended; });
        std::deque<std::string> lines;
        lines.swap(queue->lines);
        lock.unlock();
        for (const auto& line : lines) {
          if (!sink.write(line.data(), line.size())) return false;
        }
        if (!etcd_watch->running()) {
          // The revision was compacted or etcd went away: tell the client to re-list.
          Json status = {{"kind", "Status"},
                         {"apiVersion", "v1"},
                         {"metadata", Json::object()},
                         {"status", "Failure"},
                         {"reason", "Expired"},
                         {"code", 410},
                         {"message", "watch ended: " + etcd_watch->error().ToString()}};
          std::string line = Json{{"type", "ERROR"}, {"object", status}}.dump() + "\n";
          sink.write(line.data(), line.size());
          sink.done();
          return true;
        }
        if (stopping.load() || (deadline && Clock::now() >= *deadline)) {
          sink.done();
          return true;
        }
        if (lines.empty() && !sink.write("\n", 1)) return false;
        return true;
      },
      [etcd_watch](bool) {});
}

}  // namespace brix::apiserver
