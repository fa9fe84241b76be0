// HttpApiClient::Watch (contract in http_client.h). The stream is read with libcurl's multi
// interface rather than net::CurlTransport, which returns whole responses: a watch is a response
// that never ends, read line by line as it arrives, and curl_multi_wakeup lets the handle's
// destructor end it at once instead of at a poll timeout.
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "operator/client/http_client.h"

namespace brix::client {
namespace {

constexpr std::chrono::milliseconds kFirstPause{200};
constexpr std::chrono::milliseconds kMaxPause{5000};

std::string KeyOf(const Json& object) { return NamespaceOf(object) + "/" + NameOf(object); }

// What a DELETED event reported after a re-list holds: enough to name the object and its owner.
Json Identity(const Json& object) {
  Json meta = object.value("metadata", Json::object());
  Json out = {{"namespace", NamespaceOf(object)}, {"name", NameOf(object)}, {"uid", UidOf(object)}};
  if (meta.is_object() && meta.contains("ownerReferences")) {
    out["ownerReferences"] = meta["ownerReferences"];
  }
  return {{"metadata", out}};
}

std::string RvOf(const Json& object) {
  return object.value(Json::json_pointer("/metadata/resourceVersion"), std::string());
}

class HttpWatch final : public WatchHandle {
 public:
  HttpWatch(HttpApiClient* client, const api::ResourceInfo& info,
            std::function<void(const WatchEvent&)> on_event)
      : client_(client), info_(info), on_event_(std::move(on_event)), multi_(curl_multi_init()) {}

  ~HttpWatch() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    curl_multi_wakeup(multi_);
    if (thread_.joinable()) thread_.join();
    curl_multi_cleanup(multi_);
  }

  // The first list: its objects are the watch's starting state (not reported).
  // A server that does not answer yet is not an error: the thread lists once it does (and
  // reports every object then). A refusal (403) is.
  Status Start() {
    Status listed = List(/*report=*/false);
    if (!listed.ok() && !listed.IsRetryable()) return listed;
    thread_ = std::thread([this] { Run(); });
    return Status::OK();
  }

 private:
  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  }
  // Waits `pause` unless stopped first; false when stopped.
  bool Pause(std::chrono::milliseconds pause) {
    std::unique_lock<std::mutex> lock(mu_);
    return !cv_.wait_for(lock, pause, [this] { return stop_; });
  }

  // Lists the kind; with `report`, tells on_event how the list differs from what was seen.
  Status List(bool report) {
    // One attempt: the watch thread's own backoff retries, and stays stoppable meanwhile.
    BRIX_ASSIGN_OR_RETURN(Json list, client_->Send("GET", client_->Path(info_, "", ""), nullptr,
                                                   std::chrono::milliseconds(0)));
    std::map<std::string, Json> now;
    for (auto& item : list.value("items", Json::array())) now[KeyOf(item)] = item;
    if (report) {
      for (const auto& [key, object] : now) {
        Deliver({known_.count(key) ? "MODIFIED" : "ADDED", object});
      }
      for (const auto& [key, object] : known_) {
        if (!now.count(key)) Deliver({"DELETED", object});
      }
    }
    known_.clear();
    for (auto& [key, object] : now) {
      known_[key] = Identity(object);
    }
    rv_ = list.value(Json::json_pointer("/metadata/resourceVersion"), std::string());
    return Status::OK();
  }

  void Deliver(const WatchEvent& e) {
    try {
      on_event_(e);
    } catch (const std::exception& ex) {
      spdlog::warn("watch {}: event handler failed: {}", info_.plural, ex.what());
    }
  }

  void Run() {
    std::chrono::milliseconds pause = kFirstPause;
    while (!Stopping()) {
      bool relist = rv_.empty();
      if (!relist) {
        StreamResult r = Stream();
        if (Stopping()) return;
        if (r.events > 0) pause = kFirstPause;  // it worked for a while: reconnect at once
        relist = r.gone;
        if (!relist && r.events == 0) {
          spdlog::debug("watch {}: {}; reconnecting from {}", info_.plural, r.why, rv_);
          if (!Pause(pause)) return;
          pause = std::min(pause * 2, kMaxPause);
        }
      }
      if (relist) {
        spdlog::info("watch {}: resourceVersion {} is gone; listing again", info_.plural, rv_);
        Status s = List(/*report=*/true);
        if (!s.ok()) {
          rv_.clear();
          spdlog::warn("watch {}: {}", info_.plural, s.ToString());
          if (!Pause(pause)) return;
          pause = std::min(pause * 2, kMaxPause);
        }
      }
    }
  }

  struct StreamResult {
    bool gone = false;  // 410 or an ERROR event: list again
    int events = 0;     // lines handled
    std::string why;    // how the stream ended
  };

  // One watch request, until it ends or the handle is destroyed.
  StreamResult Stream() {
    StreamResult result;
    auto token = client_->BearerToken();
    if (!token.ok()) {
      result.why = token.status().ToString();
      return result;
    }
    const HttpClientOptions& o = client_->options();
    std::string url = o.server + client_->Path(info_, "", "") +
                      "?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv_;
    struct Sink {
      HttpWatch* self;
      StreamResult* result;
      std::string pending;
    } sink{this, &result, ""};
    CURL* curl = curl_easy_init();
    curl_slist* headers = nullptr;
    std::string auth = "Authorization: Bearer " + *token;
    headers = curl_slist_append(headers, auth.c_str());
    headers = curl_slist_append(headers, "Accept: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "brix/0.1");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    // A server that vanished without closing: TCP keepalive notices (the stream may be idle).
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 0L);
    if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
    curl_blob ca{const_cast<char*>(o.ca_pem.data()), o.ca_pem.size(), CURL_BLOB_COPY};
    if (!o.ca_pem.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t, size_t n, void* user) -> size_t {
          auto* s = static_cast<Sink*>(user);
          s->pending.append(data, n);
          for (size_t nl; (nl = s->pending.find('\n')) != std::string::npos;) {
            std::string line = s->pending.substr(0, nl);
            s->pending.erase(0, nl + 1);
            if (!s->self->Line(line, s->result)) return 0;  // stop reading: list again
          }
          return n;
        });
    curl_multi_add_handle(multi_, curl);
    int running = 1;
    while (running > 0 && !Stopping()) {
      if (curl_multi_perform(multi_, &running) != CURLM_OK) break;
      if (running > 0) curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    CURLcode rc = CURLE_OK;
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
      if (m->msg == CURLMSG_DONE) rc = m->data.result;
    }
    curl_multi_remove_handle(multi_, curl);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    if (code == 410) result.gone = true;
    if (code != 200 && code != 0 && !result.gone) {
      // A refused watch (403, say): its body said why; try again after the pause.
      result.why = "HTTP " + std::to_string(code) + ": " + sink.pending.substr(0, 200);
      result.events = 0;
    } else if (result.why.empty()) {
      result.why = rc == CURLE_OK ? "the server ended the stream" : curl_easy_strerror(rc);
    }
    return result;
  }

  // One event line; false to end the stream and list again.
  bool Line(const std::string& line, StreamResult* result) {
    if (line.empty()) return true;
    Json e = Json::parse(line, nullptr, false);
    if (!e.is_object() || !e.contains("object")) {
      // A non-200 reply's body (a Status object) arrives here too; Stream() reports it.
      return true;
    }
    std::string type = e.value("type", "");
    const Json& object = e["object"];
    if (type == "ERROR") {
      result->gone = true;
      result->why = object.value("message", "an ERROR event");
      return false;
    }
    ++result->events;
    if (std::string rv = RvOf(object); !rv.empty()) rv_ = rv;
    if (type == "BOOKMARK") return true;
    std::string key = KeyOf(object);
    if (type == "DELETED") {
      known_.erase(key);
    } else {
      known_[key] = Identity(object);
    }
    Deliver({type, object});
    return true;
  }

  HttpApiClient* client_;
  const api::ResourceInfo& info_;
  std::function<void(const WatchEvent&)> on_event_;
  CURLM* multi_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // The watch thread's own state (Start() sets it before the thread exists).
  std::string rv_;
  std::map<std::string, Json> known_;  // key -> the object's identity, for DELETED on re-list
};

}  // namespace

Result<std::unique_ptr<WatchHandle>> HttpApiClient::Watch(
    const api::ResourceInfo& info, std::function<void(const WatchEvent&)> on_event) {
  auto w = std::make_unique<HttpWatch>(this, info, std::move(on_event));
  BRIX_RETURN_IF_ERROR(w->Start());
  return std::unique_ptr<WatchHandle>(std::move(w));
}

}  // namespace brix::client
