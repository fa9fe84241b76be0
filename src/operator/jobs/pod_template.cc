#include "operator/jobs/pod_template.h"

#include "operator/api/fields.h"
#include "operator/api/job_kind.h"

namespace brix::jobs {
namespace {

enum class Target { kContainer, kPod };
struct Carried {
  const char* spec_field;
  Target target;
  const char* field;  // in the container or the pod spec
};

// Every carried field but env, logLevel and serviceAccount, which the local runner honours.
constexpr Carried kCarried[] = {
    {"resources", Target::kContainer, "resources"},
    {"toolImage", Target::kContainer, "image"},
    {"additionalVolumeMounts", Target::kContainer, "volumeMounts"},
    {"tolerations", Target::kPod, "tolerations"},
    {"affinity", Target::kPod, "affinity"},
    {"podSecurityContext", Target::kPod, "securityContext"},
    {"priorityClassName", Target::kPod, "priorityClassName"},
    {"imagePullSecrets", Target::kPod, "imagePullSecrets"},
    {"additionalVolumes", Target::kPod, "volumes"},
    {"automountServiceAccountToken", Target::kPod, "automountServiceAccountToken"},
};

bool IsSet(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return true;
}

// Sets (or replaces) variable `name` in an env list.
void SetEnv(Json* env, const Json& entry) {
  const std::string name = entry.value("name", "");
  for (auto& e : *env) {
    if (e.is_object() && e.value("name", "") == name) {
      e = entry;
      return;
    }
  }
  env->push_back(entry);
}

}  // namespace

void ApplyPodFields(const Json& spec, Json* pod_template) {
  if (!spec.is_object()) return;
  Json& pod = (*pod_template)["spec"];
  Json& container = pod["containers"][0];
  if (!container.contains("env") || !container["env"].is_array()) {
    container["env"] = Json::array();
  }
  const Json level = spec.value(Json::json_pointer("/br/logLevel"), Json());
  if (level.is_string() && !api::JobLogLevel(level.get<std::string>()).empty()) {
    SetEnv(&container["env"],
           {{"name", api::kJobLogLevelEnv}, {"value", api::JobLogLevel(level.get<std::string>())}});
  }
  for (const auto& e : spec.value("env", Json::array())) {
    if (e.is_object() && e.value("name", Json()).is_string()) SetEnv(&container["env"], e);
  }
  for (const Carried& c : kCarried) {
    const Json v = spec.value(c.spec_field, Json());
    if (!IsSet(v)) continue;
    (c.target == Target::kContainer ? container : pod)[c.field] = v;
  }
}

bool IsBrixImage(const std::string& image) {
  std::string name = image.substr(0, image.find('@'));  // no digest
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    name.resize(colon);  // no tag
  }
  return name.substr(slash == std::string::npos ? 0 : slash + 1) == "brix";
}

std::vector<std::string> KubernetesOnlyFields(const Json& job) {
  std::vector<std::string> out;
  const Json pod = job.value(Json::json_pointer("/spec/template/spec"), Json::object());
  if (!pod.is_object()) return out;
  const Json containers = pod.value("containers", Json::array());
  const Json container =
      containers.is_array() && !containers.empty() ? containers[0] : Json::object();
  for (const Carried& c : kCarried) {
    const Json& from = c.target == Target::kContainer ? container : pod;
    if (!from.is_object() || !IsSet(from.value(c.field, Json()))) continue;
    if (std::string_view(c.field) == "image" && from[c.field].is_string() &&
        IsBrixImage(from[c.field].get<std::string>())) {
      continue;
    }
    out.push_back(api::field::SpecField(c.spec_field));
  }
  return out;
}

}  // namespace brix::jobs
