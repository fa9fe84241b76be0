// ApiServer watch streams (server_impl.h): the current state or a resourceVersion, then every
// change as a JSON line (a Table row for `kubectl get -w`), BOOKMARK events about once a minute
// with `allowWatchBookmarks=true`, and a 410 Expired ERROR event when the etcd watch behind it
// ends (compaction, etcd lost).
//
// No request holds a thread while it watches: the changes come from the resource's WatchHub
// (watch_hub.h, one etcd watch per resource type), and once the headers are written the
// connection goes to the WatchWriter (watch_writer.h), which writes every stream from one thread.
#include <chrono>
#include <optional>

#include "operator/apiserver/server_impl.h"
#include "operator/apiserver/table.h"

namespace brix::apiserver {

namespace {

using Clock = std::chrono::steady_clock;

// Not plain "application/json": httplib would gzip the response (kubectl accepts gzip), and the
// writer sends identity chunks.
constexpr char kWatchContentType[] = "application/json;stream=watch";

// One watch request: filters the hub's events by namespace and selectors, encodes them (JSON or
// a Table row) and queues them on its stream.
class StreamSubscriber : public WatchSubscriber {
 public:
  StreamSubscriber(std::shared_ptr<WatchStream> stream, const api::ResourceInfo& info,
                   std::string ns, ApiServer::Impl::Selectors selectors, bool table, bool bookmarks)
      : stream_(std::move(stream)),
        info_(info),
        ns_(std::move(ns)),
        selectors_(std::move(selectors)),
        table_(table),
        bookmarks_(bookmarks) {}

  std::string Encode(const std::string& type, const Json& object) {
    if (!table_) return Json{{"type", type}, {"object", object}}.dump() + "\n";
    // Only the first Table event carries the column definitions, as the API server does.
    Json row = ToTable(info_, {object}, std::chrono::system_clock::now(),
                       object["metadata"].value("resourceVersion", ""), first_table_);
    first_table_ = false;
    return Json{{"type", type}, {"object", row}}.dump() + "\n";
  }

  bool OnEvent(const WatchEvent& e) override {
    if (stream_->closed()) return false;
    if (!ns_.empty() && e.object["metadata"].value("namespace", "") != ns_) return true;
    if (!selectors_.Matches(e.object)) return true;
    return stream_->Send(Encode(e.type, e.object));
  }

  void OnEnd(const Status& why) override {
    // The revision was compacted or etcd went away: tell the client to re-list.
    Json status = {{"kind", "Status"},
                   {"apiVersion", "v1"},
                   {"metadata", Json::object()},
                   {"status", "Failure"},
                   {"reason", "Expired"},
                   {"code", 410},
                   {"message", "watch ended: " + why.ToString()}};
    stream_->Finish(Json{{"type", "ERROR"}, {"object", status}}.dump() + "\n");
  }

  bool gone() const override { return stream_->closed(); }
  bool wants_bookmarks() const override { return bookmarks_; }
  void OnBookmark(int64_t revision) override {
    Json object = {{"kind", info_.kind},
                   {"apiVersion", info_.group_version()},
                   {"metadata", {{"resourceVersion", std::to_string(revision)}}}};
    stream_->Send(Json{{"type", "BOOKMARK"}, {"object", object}}.dump() + "\n");
  }

 private:
  std::shared_ptr<WatchStream> stream_;
  const api::ResourceInfo& info_;
  const std::string ns_;
  const ApiServer::Impl::Selectors selectors_;
  const bool table_;
  const bool bookmarks_;
  bool first_table_ = true;  // the hub calls OnEvent from one thread at a time
};

}  // namespace

void ApiServer::Impl::WatchCollection(const httplib::Request& req, httplib::Response& res,
                                      const Target& t) {
  auto selectors = ParseSelectors(req, t);
  if (!selectors.ok()) return Fail(res, selectors.error());
  std::optional<Clock::time_point> deadline;
  if (req.has_param("timeoutSeconds")) {
    try {
      deadline =
          Clock::now() + std::chrono::seconds(std::stoll(req.get_param_value("timeoutSeconds")));
    } catch (const std::exception&) {
      return Fail(res, ApiError::BadRequest("timeoutSeconds must be an integer"));
    }
  }
  auto stream = std::make_shared<WatchStream>(deadline);
  // Bookmarks as Kubernetes sends them: when asked, and not in Table output.
  bool table = WantsTable(req);
  bool bookmarks = !table && req.get_param_value("allowWatchBookmarks") == "true";
  auto sub = std::make_shared<StreamSubscriber>(stream, *t.info, t.ns, std::move(selectors).value(),
                                                table, bookmarks);
  int64_t after = 0;
  int64_t start_at = 0;  // where the shared hub starts if it does not run: etcd's revision
  std::string rv = req.get_param_value("resourceVersion");
  if (rv.empty() || rv == "0") {
    // No starting point: the current state as ADDED events, then changes after it.
    auto list = registry->List(*t.info, t.ns);
    if (!list.ok()) return Fail(res, list.error());
    for (auto& item : list.value().items) sub->OnEvent({"ADDED", std::move(item)});
    after = start_at = list.value().revision;
  } else {
    try {
      after = std::stoll(rv);
    } catch (const std::exception&) {
      return Fail(res, ApiError::BadRequest("resourceVersion must be an integer"));
    }
  }
  auto subscribed = hubs->Subscribe(*t.info, sub, after, start_at);
  if (!subscribed.ok()) {
    stream->Close();
    return Fail(res, subscribed.error());
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-cache, private");
  auto handed = std::make_shared<bool>(false);
  WatchWriter* out = writer.get();
  res.set_chunked_content_provider(
      kWatchContentType,
      // Called once httplib wrote the headers: the connection leaves this worker thread.
      [stream, handed, out](size_t, httplib::DataSink&) {
        *handed =
            HttpServer::HandOff([stream, out](HandedConnection conn) { out->Adopt(stream, conn); });
        return false;
      },
      [stream, handed](bool) {
        if (!*handed) stream->Close();  // the headers could not be written
      });
}

}  // namespace brix::apiserver
