#include "operator/apiserver/pods.h"

#include <cstdio>

#include "operator/api/job_kind.h"

namespace brix::apiserver {

namespace {

constexpr char kControllerUid[] = "batch.kubernetes.io/controller-uid";
constexpr char kJobName[] = "batch.kubernetes.io/job-name";
// Which attempt a derived Pod stands for.
constexpr char kAttemptAnnotation[] = "brix.pingcap.com/attempt";
// The node brixd's job runner stands for.
constexpr char kNodeName[] = "brixd";

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The suffix alphabet of Kubernetes' generated names (no vowels, no look-alikes).
std::string Suffix(uint64_t h) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out += kAlphabet[h % (sizeof(kAlphabet) - 1)];
    h /= sizeof(kAlphabet) - 1;
  }
  return out;
}

std::string UuidOf(const std::string& seed) {
  uint64_t a = Fnv1a(seed), b = Fnv1a(seed + "#");
  char buf[40];
  std::snprintf(
      buf, sizeof(buf), "%08llx-%04llx-4%03llx-8%03llx-%012llx",
      static_cast<unsigned long long>(a >> 32), static_cast<unsigned long long>((a >> 16) & 0xffff),
      static_cast<unsigned long long>(a & 0xfff), static_cast<unsigned long long>(b >> 52),
      static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buf;
}

bool TrueCondition(const Json& job, const char* type) {
  const Json conditions = job.value(Json::json_pointer("/status/conditions"), Json::array());
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    if (c.is_object() && c.value("type", "") == type && c.value("status", "") == "True") {
      return true;
    }
  }
  return false;
}

int64_t StatusCount(const Json& job, const char* key) {
  const Json v = job.value(Json::json_pointer(std::string("/status/") + key), Json(0));
  return v.is_number_integer() ? std::max<int64_t>(0, v.get<int64_t>()) : 0;
}

std::string PodPhaseCell(const Json& pod) {
  std::string phase = pod.value(Json::json_pointer("/status/phase"), std::string());
  if (phase == "Succeeded") return "Completed";  // the terminated container's reason
  if (phase == "Failed") return "Error";
  return phase;
}

api::ResourceInfo MakePodResource() {
  api::ResourceInfo info;
  info.version = "v1";
  info.plural = "pods";
  info.singular = "pod";
  info.kind = "Pod";
  info.short_names = {"po"};
  auto computed = [](std::string name, std::string type, int priority,
                     std::function<Json(const Json&)> f) {
    return api::PrinterColumn{std::move(name), std::move(type), "", priority, "", std::move(f)};
  };
  info.columns = {
      computed("Ready", "string", 0,
               [](const Json& pod) -> Json {
                 return pod.value(Json::json_pointer("/status/phase"), std::string()) == "Running"
                            ? "1/1"
                            : "0/1";
               }),
      computed("Status", "string", 0, [](const Json& pod) -> Json { return PodPhaseCell(pod); }),
      computed("Restarts", "integer", 0, [](const Json&) -> Json { return 0; }),
      api::PrinterColumn{"Age", "date", ".metadata.creationTimestamp", 0, "", nullptr},
      computed("IP", "string", 1, [](const Json&) -> Json { return "<none>"; }),
      api::PrinterColumn{"Node", "string", ".spec.nodeName", 1, "", nullptr},
  };
  return info;
}

}  // namespace

const api::ResourceInfo& PodResource() {
  static const api::ResourceInfo info = MakePodResource();
  return info;
}

void DefaultJobSelector(Json* job) {
  Json& meta = (*job)["metadata"];
  const std::string uid = meta.value("uid", ""), name = meta.value("name", "");
  Json& spec = (*job)["spec"];
  if (!spec.is_object()) return;  // validation is not ours to do here
  if (!spec.contains("selector") || spec["selector"].is_null()) {
    spec["selector"] = {{"matchLabels", {{kControllerUid, uid}}}};
  }
  Json& tmpl = spec["template"];
  if (!tmpl.is_object()) return;
  Json& labels = tmpl["metadata"]["labels"];
  if (!labels.is_object()) labels = Json::object();
  labels[kControllerUid] = uid;
  labels["controller-uid"] = uid;
  labels[kJobName] = name;
  labels["job-name"] = name;
}

std::vector<AttemptLog> SplitAttempts(const std::string& text) {
  std::vector<AttemptLog> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t line_end = nl == std::string::npos ? text.size() : nl;
    std::string time;
    int n = api::ParseAttemptHeader(std::string_view(text).substr(pos, line_end - pos), &time);
    if (n > 0) {
      if (!out.empty()) out.back().end = pos;
      AttemptLog a;
      a.attempt = n;
      a.started = time;
      a.begin = a.end = nl == std::string::npos ? text.size() : nl + 1;
      out.push_back(a);
    }
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  if (!out.empty()) out.back().end = text.size();
  return out;
}

std::vector<Json> PodsOfJob(const Json& job, const std::vector<AttemptLog>& attempts) {
  std::vector<Json> pods;
  const Json& meta = job["metadata"];
  const std::string name = meta.value("name", ""), uid = meta.value("uid", "");
  const Json tmpl = job.value(Json::json_pointer("/spec/template"), Json::object());
  if (!tmpl.is_object()) return pods;
  int64_t failed = StatusCount(job, "failed"), succeeded = StatusCount(job, "succeeded");
  int64_t active = StatusCount(job, "active");
  bool finished = TrueCondition(job, "Complete") || TrueCondition(job, "Failed");
  int64_t count = failed + std::min<int64_t>(succeeded, 1) + std::min<int64_t>(active, 1);
  bool pending = !finished && active == 0;
  if (pending) ++count;
  for (int64_t i = 1; i <= count; ++i) {
    std::string phase = i <= failed               ? "Failed"
                        : (pending && i == count) ? "Pending"
                        : active > 0              ? "Running"
                                                  : "Succeeded";
    std::string started = meta.value("creationTimestamp", "");
    if (job.contains("status") && job["status"].is_object()) {
      started = job["status"].value("startTime", started);
    }
    for (const auto& a : attempts) {
      if (a.attempt == i) started = a.started;
    }
    Json pod_meta = {
        {"name", name.substr(0, 57) + "-" + Suffix(Fnv1a(uid + "/" + std::to_string(i)))},
        {"namespace", meta.value("namespace", "")},
        {"uid", UuidOf(uid + "/" + std::to_string(i))},
        {"resourceVersion", meta.value("resourceVersion", "")},
        {"creationTimestamp", started},
        {"labels", tmpl.value(Json::json_pointer("/metadata/labels"), Json::object())},
        {"annotations", {{kAttemptAnnotation, std::to_string(i)}}},
        {"ownerReferences", Json::array({{{"apiVersion", "batch/v1"},
                                          {"kind", "Job"},
                                          {"name", name},
                                          {"uid", uid},
                                          {"controller", true},
                                          {"blockOwnerDeletion", true}}})}};
    Json& labels = pod_meta["labels"];
    if (!labels.is_object()) labels = Json::object();
    labels[kControllerUid] = uid;
    labels["controller-uid"] = uid;
    labels[kJobName] = name;
    labels["job-name"] = name;
    Json spec = tmpl.value("spec", Json::object());
    if (phase != "Pending") spec["nodeName"] = kNodeName;
    Json statuses = Json::array();
    for (const auto& c : spec.value("containers", Json::array())) {
      Json state;
      if (phase == "Pending") {
        state = {{"waiting", {{"reason", "ContainerCreating"}}}};
      } else if (phase == "Running") {
        state = {{"running", {{"startedAt", started}}}};
      } else {
        state = {{"terminated",
                  {{"exitCode", phase == "Succeeded" ? 0 : 1},
                   {"reason", phase == "Succeeded" ? "Completed" : "Error"},
                   {"startedAt", started}}}};
      }
      statuses.push_back({{"name", c.value("name", "")},
                          {"image", c.value("image", "")},
                          {"imageID", ""},
                          {"ready", phase == "Running"},
                          {"started", phase == "Running"},
                          {"restartCount", 0},
                          {"state", state}});
    }
    // kubectl picks the pod it shows logs of by these (Ready first).
    std::string ready = phase == "Running" ? "True" : "False";
    Json conditions = Json::array();
    for (const auto& [type, value] : {std::pair<const char*, std::string>{"PodScheduled", "True"},
                                      {"Initialized", "True"},
                                      {"ContainersReady", ready},
                                      {"Ready", ready}}) {
      if (phase == "Pending" && std::string_view(type) != "PodScheduled") continue;
      conditions.push_back({{"type", type}, {"status", value}});
    }
    Json status = {{"phase", phase},
                   {"conditions", conditions},
                   {"containerStatuses", statuses},
                   {"qosClass", "BestEffort"}};
    if (phase != "Pending") status["startTime"] = started;
    pods.push_back({{"apiVersion", "v1"},
                    {"kind", "Pod"},
                    {"metadata", std::move(pod_meta)},
                    {"spec", std::move(spec)},
                    {"status", std::move(status)}});
  }
  return pods;
}

int AttemptOfPod(const Json& pod) {
  const Json v = pod.value(Json::json_pointer("/metadata/annotations"), Json::object())
                     .value(kAttemptAnnotation, Json());
  if (!v.is_string()) return 0;
  try {
    return std::stoi(v.get<std::string>());
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace brix::apiserver
