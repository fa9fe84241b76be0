// ApiServer handlers of core/v1 pods and pods/log: the read-only Pods derived from Jobs
// (pods.h), authorized like any resource (server_impl.h).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "common/process.h"
#include "operator/api/job_kind.h"
#include "operator/apiserver/pods.h"
#include "operator/apiserver/server_impl.h"
#include "operator/apiserver/table.h"
#include "operator/client/api_client.h"

namespace brix::apiserver {

namespace {

constexpr char kLogContentType[] = "text/plain";
// A followed log is not text/*: httplib would gzip the stream (kubectl accepts gzip), and its
// compressor holds output back until enough bytes accumulate. kubectl reads the body as is.
constexpr char kFollowContentType[] = "application/octet-stream";
// How often a followed log file is read for new output.
constexpr auto kFollowPoll = std::chrono::milliseconds(200);
// The most a followed log sends per read.
constexpr uint64_t kFollowChunk = 1 << 20;

const api::ResourceInfo& JobsInfo() { return *api::FindResource("batch", "v1", "jobs"); }

std::string ReadRange(const std::string& path, uint64_t begin, uint64_t end) {
  std::ifstream in(path, std::ios::binary);
  if (!in || end <= begin) return "";
  in.seekg(static_cast<std::streamoff>(begin));
  std::string out(end - begin, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Truthy(const std::string& v) { return v == "true" || v == "1"; }

}  // namespace

std::string ApiServer::Impl::JobLogFile(const std::string& ns, const std::string& job) {
  return options.job_log_file ? options.job_log_file(ns, job) : std::string();
}

ApiResult<std::vector<Json>> ApiServer::Impl::PodsIn(const std::string& ns) {
  auto jobs = registry->List(JobsInfo(), ns);
  if (!jobs.ok()) return jobs.error();
  std::vector<Json> pods;
  for (const Json& job : jobs.value().items) {
    std::string file = JobLogFile(client::NamespaceOf(job), client::NameOf(job));
    std::vector<AttemptLog> attempts;
    if (!file.empty()) attempts = SplitAttempts(ReadAll(file));
    for (Json& pod : PodsOfJob(job, attempts)) pods.push_back(std::move(pod));
  }
  return pods;
}

void ApiServer::Impl::ServePods(const httplib::Request& req, httplib::Response& res,
                                const UserInfo& user, const std::string& ns,
                                const std::vector<std::string>& r) {
  const std::string name = r.size() >= 2 ? r[1] : "";
  const bool log = r.size() == 3 && r[2] == "log";
  if (r.size() == 3 && !log) return Fail(res, NotFoundPath(req.path));
  if (!name.empty() && ns.empty()) return Fail(res, NotFoundPath(req.path));
  bool watch = Truthy(req.get_param_value("watch"));
  std::string verb = req.method != "GET" ? "" : watch ? "watch" : name.empty() ? "list" : "get";
  RequestAttributes request{
      verb.empty() ? "create" : verb, true, "", "pods", log ? "log" : "", ns, name, ""};
  if (auto denied = access->Authorize(user, request)) return Fail(res, *denied);
  if (verb.empty() || watch) {
    return Fail(res, ApiError::MethodNotAllowed(
                         "brixd serves Pods read-only, derived from its Jobs: get and list (and "
                         "pods/log) only; " +
                         std::string(watch ? "watch" : req.method) + " is not supported"));
  }
  const api::ResourceInfo& info = PodResource();
  auto pods = PodsIn(ns);
  if (!pods.ok()) return Fail(res, pods.error());
  if (name.empty()) {
    Target t;
    t.info = &info;
    t.ns = ns;
    auto selectors = ParseSelectors(req, t);
    if (!selectors.ok()) return Fail(res, selectors.error());
    std::vector<Json> items;
    for (auto& pod : pods.value()) {
      if (selectors.value().Matches(pod)) items.push_back(std::move(pod));
    }
    if (WantsTable(req)) {
      return Reply(res, 200, ToTable(info, items, std::chrono::system_clock::now(), ""));
    }
    return Reply(res, 200,
                 {{"kind", "PodList"},
                  {"apiVersion", "v1"},
                  {"metadata", Json::object()},
                  {"items", items}});
  }
  const Json* pod = nullptr;
  for (const auto& p : pods.value()) {
    if (p["metadata"]["name"] == name) pod = &p;
  }
  if (pod == nullptr) return Fail(res, ApiError::NotFound(info, name));
  if (!log) {
    if (WantsTable(req)) {
      return Reply(res, 200, ToTable(info, {*pod}, std::chrono::system_clock::now(), ""));
    }
    return Reply(res, 200, *pod);
  }
  PodLog(req, res, *pod);
}

void ApiServer::Impl::PodLog(const httplib::Request& req, httplib::Response& res, const Json& pod) {
  const std::string pod_name = pod["metadata"]["name"];
  const Json containers = pod["spec"].value("containers", Json::array());
  const std::string container = containers.empty() ? "" : containers[0].value("name", "");
  std::string asked = req.get_param_value("container");
  if (!asked.empty() && asked != container) {
    return Fail(res,
                ApiError::BadRequest("container " + asked + " is not valid for pod " + pod_name));
  }
  if (Truthy(req.get_param_value("previous"))) {
    return Fail(res, ApiError::BadRequest("previous terminated container \"" + container +
                                          "\" in pod \"" + pod_name + "\" not found"));
  }
  std::string phase = pod["status"].value("phase", "");
  if (phase == "Pending") {
    return Fail(res, ApiError::BadRequest("container \"" + container + "\" in pod \"" + pod_name +
                                          "\" is waiting to start: ContainerCreating"));
  }
  int64_t tail = -1, limit = -1;
  try {
    if (req.has_param("tailLines")) tail = std::stoll(req.get_param_value("tailLines"));
    if (req.has_param("limitBytes")) limit = std::stoll(req.get_param_value("limitBytes"));
  } catch (const std::exception&) {
    return Fail(res, ApiError::BadRequest("tailLines and limitBytes must be integers"));
  }
  const Json& owner = pod["metadata"]["ownerReferences"][0];
  const std::string ns = pod["metadata"]["namespace"], job = owner["name"];
  const std::string job_uid = owner["uid"];
  const int attempt = AttemptOfPod(pod);
  const std::string file = JobLogFile(ns, job);
  auto part = [file, attempt]() -> std::optional<AttemptLog> {
    for (const auto& a : SplitAttempts(ReadAll(file))) {
      if (a.attempt == attempt) return a;
    }
    return std::nullopt;
  };
  std::optional<AttemptLog> range = file.empty() ? std::nullopt : part();
  std::string text = range ? ReadRange(file, range->begin, range->end) : "";
  res.status = 200;
  res.set_header("Cache-Control", "no-cache, private");
  bool follow = Truthy(req.get_param_value("follow"));
  if (!follow || phase != "Running") {
    text = TailLines(text, tail);
    if (limit >= 0 && static_cast<uint64_t>(limit) < text.size()) text.resize(limit);
    res.set_content(text, kLogContentType);
    return;
  }
  // Follow: what is there now (up to its last full line), then what the running attempt adds,
  // until the attempt ends (the Job is no longer active in it) or the server stops.
  struct Follow {
    bool found = false;   // the attempt's header was seen: `offset` is inside its part
    uint64_t offset = 0;  // next byte of the file to send
    std::string first;
    int64_t budget = -1;  // limitBytes left
    bool started = false;
  };
  auto state = std::make_shared<Follow>();
  if (range) {
    size_t cut = text.rfind('\n');
    cut = cut == std::string::npos ? 0 : cut + 1;
    state->first = TailLines(text.substr(0, cut), tail);
    state->offset = range->begin + cut;
    state->found = true;
  }
  state->budget = limit;
  res.set_chunked_content_provider(
      kFollowContentType,
      [this, state, file, ns, job, job_uid, attempt, part](size_t, httplib::DataSink& sink) {
        auto send = [&](std::string data) {
          if (state->budget >= 0 && static_cast<uint64_t>(state->budget) < data.size()) {
            data.resize(state->budget);
          }
          if (state->budget >= 0) state->budget -= static_cast<int64_t>(data.size());
          return data.empty() || sink.write(data.data(), data.size());
        };
        if (!state->started) {
          state->started = true;
          if (!send(std::move(state->first))) return false;
        }
        // Whether the attempt still runs, read before the file so no last output is missed.
        auto current = registry->Get(JobsInfo(), ns, job);
        bool running = current.ok() && client::UidOf(current.value()) == job_uid;
        if (running) {
          auto pods = PodsOfJob(current.value(), {});
          running = static_cast<int>(pods.size()) >= attempt &&
                    pods[attempt - 1]["status"].value("phase", "") == "Running";
        }
        if (!state->found) {  // the log had no header of this attempt yet (rare)
          if (auto now = part()) {
            state->offset = now->begin;
            state->found = true;
          }
        }
        // Only what was added since the last read (at most kFollowChunk), up to a later
        // attempt's header: a long log is not re-read on every poll.
        std::string more =
            state->found ? ReadRange(file, state->offset, state->offset + kFollowChunk) : "";
        bool ended = false;
        for (size_t pos = 0; pos < more.size();) {
          size_t nl = more.find('\n', pos);
          size_t end = nl == std::string::npos ? more.size() : nl;
          std::string time;
          if (api::ParseAttemptHeader(std::string_view(more).substr(pos, end - pos), &time) >
              attempt) {
            more.resize(pos);
            ended = true;
            break;
          }
          pos = nl == std::string::npos ? more.size() : nl + 1;
        }
        bool full_chunk = more.size() == kFollowChunk;
        running = running && !ended;
        // Whole lines only while the process may still be writing one (a full chunk goes as is).
        if (running && !full_chunk) {
          size_t cut = more.rfind('\n');
          more.resize(cut == std::string::npos ? 0 : cut + 1);
        }
        state->offset += more.size();
        if (!send(std::move(more))) return false;
        if ((!running && !full_chunk) || stopping.load() || state->budget == 0) {
          sink.done();
          return true;
        }
        if (full_chunk) return true;  // more is waiting
        std::unique_lock<std::mutex> lock(stop_mu);
        stop_cv.wait_for(lock, kFollowPoll, [this] { return stopping.load(); });
        return true;
      },
      [](bool) {});
}

}  // namespace brix::apiserver
