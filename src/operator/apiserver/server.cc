#include "operator/apiserver/server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "common/encoding.h"
#include "etcd/etcd_client.h"
#include "operator/api/resources.h"
#include "operator/apiserver/access.h"
#include "operator/apiserver/api_error.h"
#include "operator/apiserver/discovery.h"
#include "operator/apiserver/registry.h"
#include "operator/apiserver/secret_protobuf.h"
#include "operator/apiserver/selector.h"
#include "operator/apiserver/table.h"

namespace brix::apiserver {

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kJson[] = "application/json";
// Not plain "application/json": httplib would gzip the stream (kubectl accepts gzip), and its
// compressor holds events back until enough bytes accumulate.
constexpr char kWatchContentType[] = "application/json;stream=watch";
// While a watch is idle a newline is sent this often: JSON stream decoders skip it, and the
// failed write is how a closed client is noticed (httplib cannot tell otherwise).
constexpr auto kWatchHeartbeat = std::chrono::seconds(1);

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

// What a resource URL names.
struct Target {
  const api::ResourceInfo* info = nullptr;
  std::string ns;    // empty: all namespaces
  std::string name;  // empty: the collection
  bool status = false;
  bool token = false;  // serviceaccounts/<name>/token (TokenRequest)
};

bool IsOpenPath(const std::string& path) {
  return path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz";
}

// The RBAC verb of a request on a resource URL, as Kubernetes' RequestInfoFactory derives it.
std::string VerbOf(const httplib::Request& req, const Target& t) {
  if (req.method == "GET") {
    std::string watch = req.get_param_value("watch");
    if (watch == "true" || watch == "1") return "watch";
    return t.name.empty() ? "list" : "get";
  }
  if (req.method == "POST") return "create";
  if (req.method == "PUT") return "update";
  if (req.method == "PATCH") return "patch";
  if (req.method == "DELETE") return t.name.empty() ? "deletecollection" : "delete";
  return "";
}

std::vector<std::string> SupportedFieldLabels(const api::ResourceInfo& info) {
  std::vector<std::string> labels = {"metadata.name", "metadata.namespace"};
  if (info.kind == "Event") {
    for (const char* f :
         {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
          "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
          "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}) {
      labels.push_back(f);
    }
  }
  if (info.kind == "Secret") labels.push_back("type");
  if (info.kind == "Job") labels.push_back("status.successful");
  return labels;
}

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

struct ApiServer::Impl {
  ServerOptions options;
  std::unique_ptr<etcd::EtcdClient> etcd;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<AccessControl> access;
  std::unique_ptr<httplib::Server> http;
  int port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  std::condition_variable stop_cv;

  void Reply(httplib::Response& res, int code, const Json& body) {
    res.status = code;
    res.set_header("Cache-Control", "no-cache, private");
    res.set_content(body.dump(), kJson);
  }
  void Fail(httplib::Response& res, const ApiError& e) { Reply(res, e.code, e.ToStatus()); }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    try {
      if (IsOpenPath(req.path)) {
        Route(req, res, UserInfo{"system:anonymous", {"system:unauthenticated"}});
      } else {
        auto user = access->Authenticate(req.get_header_value("Authorization"));
        if (!user.ok()) return Fail(res, user.error());
        Route(req, res, user.value());
      }
    } catch (const std::exception& e) {
      Fail(res,
           ApiError{500, "InternalError", std::string("internal error: ") + e.what(), nullptr});
    }
    spdlog::debug("{} {} -> {}", req.method, req.path, res.status);
  }

  void Route(const httplib::Request& req, httplib::Response& res, const UserInfo& user) {
    const std::string& path = req.path;
    std::vector<std::string> p = SplitPath(path);
    if (req.method == "GET" && !IsOpenPath(path) &&
        (p.empty() || p[0] == "api" || p[0] == "apis" || p[0] == "openapi") && !IsResourcePath(p)) {
      RequestAttributes discovery;
      discovery.verb = "get";
      discovery.resource_request = false;
      discovery.path = path;
      if (auto denied = access->Authorize(user, discovery)) return Fail(res, *denied);
    }
    if (req.method == "GET") {
      if (path == "/version") return Reply(res, 200, VersionDocument());
      if (path == "/healthz" || path == "/livez" || path == "/readyz") {
        res.set_content("ok", "text/plain");
        return;
      }
      if (path == "/api") {
        return Reply(res, 200, CoreVersionsDocument(options.host + ":" + std::to_string(port)));
      }
      if (path == "/apis") return Reply(res, 200, GroupListDocument());
      if (p.size() == 2 && p[0] == "api") {
        if (auto doc = ResourceListDocument("", p[1])) return Reply(res, 200, *doc);
      }
      if (p.size() == 2 && p[0] == "apis") {
        for (const auto& g : GroupListDocument()["groups"]) {
          if (g["name"] == p[1]) {
            Json doc = g;
            doc["kind"] = "APIGroup";
            doc["apiVersion"] = "v1";
            return Reply(res, 200, doc);
          }
        }
      }
      if (p.size() == 3 && p[0] == "apis") {
        if (auto doc = ResourceListDocument(p[1], p[2])) return Reply(res, 200, *doc);
      }
      if (path == "/openapi/v3") return Reply(res, 200, OpenApiRootDocument());
      if (p.size() == 4 && p[0] == "openapi" && p[1] == "v3" && p[2] == "api") {
        if (auto doc = OpenApiGroupVersionDocument("", p[3])) return Reply(res, 200, *doc);
      }
      if (p.size() == 5 && p[0] == "openapi" && p[1] == "v3" && p[2] == "apis") {
        if (auto doc = OpenApiGroupVersionDocument(p[3], p[4])) return Reply(res, 200, *doc);
      }
    }
    // Resource URLs: /api/v1/... and /apis/<group>/<version>/...
    std::string group, version;
    size_t rest = 0;
    if (p.size() >= 3 && p[0] == "api") {
      version = p[1];
      rest = 2;
    } else if (p.size() >= 4 && p[0] == "apis") {
      group = p[1];
      version = p[2];
      rest = 3;
    } else {
      return Fail(res, NotFoundPath(path));
    }
    Target t;
    std::vector<std::string> r(p.begin() + static_cast<long>(rest), p.end());
    if (r.size() == 1 && req.method == "POST" && version == "v1" &&
        ((group == "authorization.k8s.io" && r[0] == "selfsubjectaccessreviews") ||
         (group == "authentication.k8s.io" && r[0] == "selfsubjectreviews"))) {
      return SelfReview(req, res, user, group, r[0]);
    }
    if (r.size() >= 3 && r[0] == "namespaces") {
      t.ns = r[1];
      r.erase(r.begin(), r.begin() + 2);
    }
    if (r.empty() || r.size() > 3) return Fail(res, NotFoundPath(path));
    t.info = api::FindResource(group, version, r[0]);
    if (t.info == nullptr) return Fail(res, NotFoundPath(path));
    if (r.size() >= 2) t.name = r[1];
    if (r.size() == 3) {
      if (r[2] == "status" && t.info->has_status) {
        t.status = true;
      } else if (r[2] == "token" && t.info->kind == "ServiceAccount" && req.method == "POST") {
        t.token = true;
      } else {
        return Fail(res, NotFoundPath(path));
      }
    }
    // Namespaced kinds are named inside a namespace, cluster-scoped ones outside any.
    if (t.info->namespaced ? (!t.name.empty() && t.ns.empty()) : !t.ns.empty()) {
      return Fail(res, NotFoundPath(path));
    }
    RequestAttributes request{VerbOf(req, t),
                              true,
                              group,
                              t.info->plural,
                              t.status ? "status" : (t.token ? "token" : ""),
                              t.ns,
                              t.name,
                              ""};
    if (auto denied = access->Authorize(user, request)) return Fail(res, *denied);
    if (t.token) return CreateToken(req, res, t);
    if (req.method == "GET") {
      if (!t.name.empty()) return GetOne(req, res, t);
      if (req.get_param_value("watch") == "true" || req.get_param_value("watch") == "1") {
        return WatchCollection(req, res, t);
      }
      return ListCollection(req, res, t);
    }
    if (t.info->namespaced && t.ns.empty()) {
      return Fail(res, ApiError::MethodNotAllowed("writes need a namespace"));
    }
    WriteOptions write = WriteOptionsFor(req);
    write.admit = access->AdmissionFor(user, *t.info, t.ns);
    if (req.method == "POST" && t.name.empty()) return CreateOne(req, res, t, write);
    if (t.name.empty()) {
      return Fail(res,
                  ApiError::MethodNotAllowed(req.method + " is not supported on a collection"));
    }
    if (req.method == "PUT") return UpdateOne(req, res, t, write);
    if (req.method == "PATCH") return PatchOne(req, res, t, write);
    if (req.method == "DELETE" && !t.status) return DeleteOne(req, res, t);
    return Fail(res, ApiError::MethodNotAllowed(req.method + " is not supported here"));
  }

  // /api/v1/..., /apis/<g>/<v>/...: longer than a discovery document's path.
  static bool IsResourcePath(const std::vector<std::string>& p) {
    return (p.size() >= 3 && p[0] == "api") || (p.size() >= 4 && p[0] == "apis");
  }

  void SelfReview(const httplib::Request& req, httplib::Response& res, const UserInfo& user,
                  const std::string& group, const std::string& resource) {
    RequestAttributes request{"create", true, group, resource, "", "", "", ""};
    if (auto denied = access->Authorize(user, request)) return Fail(res, *denied);
    if (resource == "selfsubjectreviews") return Reply(res, 201, access->SelfSubjectReview(user));
    auto body = Body(req);
    if (!body.ok()) return Fail(res, body.error());
    auto review = access->SelfSubjectAccessReview(user, body.value());
    if (!review.ok()) return Fail(res, review.error());
    Reply(res, 201, review.value());
  }

  void CreateToken(const httplib::Request& req, httplib::Response& res, const Target& t) {
    auto body = req.body.empty() ? ApiResult<Json>(Json::object()) : Body(req);
    if (!body.ok()) return Fail(res, body.error());
    auto token = access->CreateToken(t.ns, t.name, body.value());
    if (!token.ok()) return Fail(res, token.error());
    Reply(res, 201, token.value());
  }

  static ApiError NotFoundPath(const std::string& path) {
    return ApiError{404, "NotFound",
                    "the server could not find the requested resource (" + path + ")",
                    Json::object()};
  }

  static bool WantsTable(const httplib::Request& req) {
    return req.get_header_value("Accept").find("as=Table") != std::string::npos;
  }

  WriteOptions WriteOptionsFor(const httplib::Request& req) {
    WriteOptions o;
    std::string v = req.get_param_value("fieldValidation");
    if (v == "Ignore" || v == "Warn") o.field_validation = FieldValidation::kIgnore;
    o.dry_run = req.has_param("dryRun");
    return o;
  }

  // The request body as JSON (protobuf for the kinds kubectl >= 1.32's typed clients send).
  static ApiResult<Json> Body(const httplib::Request& req) {
    std::string type = req.get_header_value("Content-Type");
    if (type.starts_with("application/vnd.kubernetes.protobuf")) {
      auto object = DecodeProtobufObject(req.body);
      if (!object.ok()) {
        if (object.status().code() == Status::Code::kNotSupported) {
          return ApiError::UnsupportedMediaType(object.status().message());
        }
        return ApiError::BadRequest(object.status().message());
      }
      return std::move(object).value();
    }
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      return ApiError::BadRequest("the request body is not valid JSON");
    }
    return body;
  }

  struct Selectors {
    LabelSelector labels;
    FieldSelector fields;
    bool Matches(const Json& object) const {
      return labels.Matches(object["metadata"].value("labels", Json(nullptr))) &&
             fields.Matches(object);
    }
  };

  ApiResult<Selectors> ParseSelectors(const httplib::Request& req, const Target& t) {
    auto labels = LabelSelector::Parse(req.get_param_value("labelSelector"));
    if (!labels.ok()) return ApiError::BadRequest(labels.status().message());
    auto fields =
        FieldSelector::Parse(req.get_param_value("fieldSelector"), SupportedFieldLabels(*t.info));
    if (!fields.ok()) return ApiError::BadRequest(fields.status().message());
    return Selectors{std::move(labels).value(), std::move(fields).value()};
  }

  void GetOne(const httplib::Request& req, httplib::Response& res, const Target& t) {
    auto object = registry->Get(*t.info, t.ns, t.name);
    if (!object.ok()) return Fail(res, object.error());
    if (WantsTable(req)) {
      return Reply(res, 200,
                   ToTable(*t.info, {object.value()}, std::chrono::system_clock::now(),
                           object.value()["metadata"].value("resourceVersion", "")));
    }
    Reply(res, 200, object.value());
  }

  void ListCollection(const httplib::Request& req, httplib::Response& res, const Target& t) {
    auto selectors = ParseSelectors(req, t);
    if (!selectors.ok()) return Fail(res, selectors.error());
    auto list = registry->List(*t.info, t.ns);
    if (!list.ok()) return Fail(res, list.error());
    std::vector<Json> items;
    for (auto& item : list.value().items) {
      if (selectors.value().Matches(item)) items.push_back(std::move(item));
    }
    std::string rv = std::to_string(list.value().revision);
    if (WantsTable(req)) {
      return Reply(res, 200, ToTable(*t.info, items, std::chrono::system_clock::now(), rv));
    }
    Reply(res, 200,
          {{"kind", t.info->list_kind()},
           {"apiVersion", t.info->group_version()},
           {"metadata", {{"resourceVersion", rv}}},
           {"items", items}});
  }

  void CreateOne(const httplib::Request& req, httplib::Response& res, const Target& t,
                 const WriteOptions& write) {
    auto body = Body(req);
    if (!body.ok()) return Fail(res, body.error());
    auto created = registry->Create(*t.info, t.ns, std::move(body.value()), write);
    if (!created.ok()) return Fail(res, created.error());
    Reply(res, 201, created.value());
  }

  void UpdateOne(const httplib::Request& req, httplib::Response& res, const Target& t,
                 const WriteOptions& write) {
    auto body = Body(req);
    if (!body.ok()) return Fail(res, body.error());
    auto updated =
        registry->Update(*t.info, t.ns, t.name, std::move(body.value()), t.status, write);
    if (!updated.ok()) return Fail(res, updated.error());
    Reply(res, 200, updated.value());
  }

  void PatchOne(const httplib::Request& req, httplib::Response& res, const Target& t,
                const WriteOptions& write) {
    std::string type = req.get_header_value("Content-Type");
    PatchType patch_type;
    if (type.starts_with("application/merge-patch+json")) {
      patch_type = PatchType::kMerge;
    } else if (type.starts_with("application/strategic-merge-patch+json") && !t.info->custom) {
      patch_type = PatchType::kStrategicMerge;
    } else if (type.starts_with("application/json-patch+json")) {
      patch_type = PatchType::kJson;
    } else if (type.starts_with("application/apply-patch")) {
      patch_type = PatchType::kApply;
    } else {
      return Fail(
          res, ApiError::UnsupportedMediaType(
                   "the body of the request was in an unknown format - accepted media "
                   "types include: application/json-patch+json, "
                   "application/merge-patch+json, application/apply-patch+yaml" +
                   std::string(t.info->custom ? "" : ", application/strategic-merge-patch+json")));
    }
    Json patch = Json::parse(req.body, nullptr, false);
    if (patch.is_discarded()) {
      return Fail(res, ApiError::BadRequest("the patch is not valid JSON (YAML apply patches are "
                                            "not supported; kubectl sends JSON)"));
    }
    auto patched = registry->Patch(*t.info, t.ns, t.name, patch_type, patch, t.status, write);
    if (!patched.ok()) return Fail(res, patched.error());
    Reply(res, 200, patched.value());
  }

  void DeleteOne(const httplib::Request& req, httplib::Response& res, const Target& t) {
    std::string precondition;
    if (!req.body.empty()) {
      Json options = Json::parse(req.body, nullptr, false);
      if (options.is_object() && options.contains("preconditions") &&
          options["preconditions"].is_object()) {
        precondition = options["preconditions"].value("resourceVersion", "");
      }
    }
    auto deleted = registry->Delete(*t.info, t.ns, t.name, precondition);
    if (!deleted.ok()) return Fail(res, deleted.error());
    Reply(res, 200, deleted.value());
  }

  void WatchCollection(const httplib::Request& req, httplib::Response& res, const Target& t) {
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
        object = ToTable(*info_ptr, {e.object}, std::chrono::system_clock::now(),
                         e.object["metadata"].value("resourceVersion", ""),
                         first_table->exchange(false));
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
};

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
  impl->options = options;
  if (options.tls.cert.empty()) {
    impl->http = std::make_unique<httplib::Server>();
  } else {
    BIO* cert_bio =
        BIO_new_mem_buf(options.tls.cert.data(), static_cast<int>(options.tls.cert.size()));
    BIO* key_bio =
        BIO_new_mem_buf(options.tls.key.data(), static_cast<int>(options.tls.key.size()));
    X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    BIO_free(cert_bio);
    BIO_free(key_bio);
    if (cert == nullptr || key == nullptr) {
      X509_free(cert);
      EVP_PKEY_free(key);
      return Status::InvalidArgument("the TLS certificate or key is not valid PEM");
    }
    auto server = std::make_unique<httplib::SSLServer>(cert, key);  // takes its own references
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!server->is_valid()) return Status::InvalidArgument("the TLS certificate was refused");
    impl->http = std::move(server);
  }
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
