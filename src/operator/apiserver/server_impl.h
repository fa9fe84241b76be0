// Internal to the API server (server.h); included only by its own files, which split it by
// concern:
//   server.cc           start, stop, TLS and the HTTP listener
//   server_routing.cc   authentication, URL -> resource target, RBAC, discovery documents
//   server_handlers.cc  get, list, create, update, patch and delete of one resource
//   server_watch.cc     watch streams (with watch_hub.h, watch_writer.h and http_server.h:
//                       no watch holds a worker thread)
//   server_pods.cc      pods and pods/log, derived from Jobs (pods.h)
//   server_ui.cc        the web page under /ui/ and its session cookies (ui_login.h)
//   server_crds.cc      customresourcedefinitions: the built-in CRDs (api/crd.h)
// ApiServer::Impl is the one state they share; its handlers reply through Reply/Fail.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "etcd/etcd_client.h"
#include "operator/api/resources.h"
#include "operator/apiserver/access.h"
#include "operator/apiserver/api_error.h"
#include "operator/apiserver/http_server.h"
#include "operator/apiserver/registry.h"
#include "operator/apiserver/selector.h"
#include "operator/apiserver/server.h"
#include "operator/apiserver/ui_login.h"
#include "operator/apiserver/watch_hub.h"
#include "operator/apiserver/watch_writer.h"

namespace brix::apiserver {

inline constexpr char kJsonContentType[] = "application/json";

struct ApiServer::Impl {
  // What a resource URL names.
  struct Target {
    const api::ResourceInfo* info = nullptr;
    std::string ns;    // empty: all namespaces
    std::string name;  // empty: the collection
    bool status = false;
    bool token = false;  // serviceaccounts/<name>/token (TokenRequest)
  };

  struct Selectors {
    LabelSelector labels;
    FieldSelector fields;
    bool Matches(const Json& object) const {
      return labels.Matches(object["metadata"].value("labels", Json(nullptr))) &&
             fields.Matches(object);
    }
  };

  ServerOptions options;
  std::unique_ptr<etcd::EtcdClient> etcd;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<AccessControl> access;
  UiLogins ui_logins;
  // Declared in this order so that they are destroyed http, hubs, writer (and ~Impl stops the
  // writer's thread, which checks the hubs, first).
  std::unique_ptr<WatchWriter> writer;
  std::unique_ptr<WatchHubs> hubs;
  std::unique_ptr<HttpServer> http;
  int port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  std::condition_variable stop_cv;

  ~Impl() {
    if (http) http->stop();
    if (writer) writer->Stop();
  }

  void Reply(httplib::Response& res, int code, const Json& body) {
    res.status = code;
    res.set_header("Cache-Control", "no-cache, private");
    res.set_content(body.dump(), kJsonContentType);
  }
  void Fail(httplib::Response& res, const ApiError& e) { Reply(res, e.code, e.ToStatus()); }

  // server_routing.cc
  void Handle(const httplib::Request& req, httplib::Response& res);
  void Route(const httplib::Request& req, httplib::Response& res, const UserInfo& user);
  void SelfReview(const httplib::Request& req, httplib::Response& res, const UserInfo& user,
                  const std::string& group, const std::string& resource);
  void CreateToken(const httplib::Request& req, httplib::Response& res, const Target& t);
  static ApiError NotFoundPath(const std::string& path);

  // server_ui.cc: the caller of an API request, by bearer token or the page's session cookie.
  ApiResult<UserInfo> AuthenticateRequest(const httplib::Request& req);
  void ServeUi(const httplib::Request& req, httplib::Response& res);

  // server_handlers.cc
  static bool WantsTable(const httplib::Request& req);
  WriteOptions WriteOptionsFor(const httplib::Request& req);
  // The request body as JSON (protobuf for the kinds kubectl >= 1.32's typed clients send).
  static ApiResult<Json> Body(const httplib::Request& req);
  ApiResult<Selectors> ParseSelectors(const httplib::Request& req, const Target& t);
  void GetOne(const httplib::Request& req, httplib::Response& res, const Target& t);
  void ListCollection(const httplib::Request& req, httplib::Response& res, const Target& t);
  void CreateOne(const httplib::Request& req, httplib::Response& res, const Target& t,
                 const WriteOptions& write);
  void UpdateOne(const httplib::Request& req, httplib::Response& res, const Target& t,
                 const WriteOptions& write);
  void PatchOne(const httplib::Request& req, httplib::Response& res, const Target& t,
                const WriteOptions& write);
  void DeleteOne(const httplib::Request& req, httplib::Response& res, const Target& t);

  // server_watch.cc
  void WatchCollection(const httplib::Request& req, httplib::Response& res, const Target& t);

  // server_pods.cc: `r` is the path after /api/v1[/namespaces/<ns>] ("pods", name, "log").
  void ServePods(const httplib::Request& req, httplib::Response& res, const UserInfo& user,
                 const std::string& ns, const std::vector<std::string>& r);
  void PodLog(const httplib::Request& req, httplib::Response& res, const Json& pod);
  ApiResult<std::vector<Json>> PodsIn(const std::string& ns);
  std::string JobLogFile(const std::string& ns, const std::string& job);

  // server_crds.cc: `r` is the path after /apis/apiextensions.k8s.io/v1
  // ("customresourcedefinitions", name).
  void ServeCrds(const httplib::Request& req, httplib::Response& res, const UserInfo& user,
                 const std::string& ns, const std::vector<std::string>& r);
};

// The RBAC verb of a request on a resource URL, as Kubernetes' RequestInfoFactory derives it.
std::string VerbOf(const httplib::Request& req, const ApiServer::Impl::Target& t);

}  // namespace brix::apiserver
