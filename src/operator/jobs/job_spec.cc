#include "operator/jobs/job_spec.h"

#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "operator/api/job_kind.h"

namespace brix::jobs {
namespace {

std::string EntryPoint(std::string_view kind) {
  if (api::IsLogJobKind(kind) || kind == api::jobkind::kBackup) return "backup";
  return std::string(kind);  // restore, compact, clean: the entry point has the kind's name
}

Status NotOurs(const std::string& why) {
  return Status::InvalidArgument(
      "brixd runs only the jobs its controllers create (brix manager backup, restore, compact, "
      "clean and log jobs); this one is stored but never run: " +
      why);
}

Result<std::vector<std::string>> Strings(const Json& container, const char* key) {
  std::vector<std::string> out;
  if (!container.contains(key)) return out;
  if (!container[key].is_array()) return NotOurs(std::string(key) + " is not a list");
  for (const auto& a : container[key]) {
    if (!a.is_string()) return NotOurs(std::string(key) + " holds a non-string");
    out.push_back(a.get<std::string>());
  }
  return out;
}

bool IsEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Variables that change how a program is loaded or which libraries and helpers it runs.
bool IsLoaderVariable(std::string_view s) {
  static const std::set<std::string_view> names = {
      "GCONV_PATH",     "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "MALLOC_TRACE",
      "GLIBC_TUNABLES", "IFS",     "ENV",     "BASH_ENV",    "SHELLOPTS",        "PS4",
      "PYTHONPATH",     "PERL5LIB"};
  return s.rfind("LD_", 0) == 0 || names.count(s) > 0;
}

}  // namespace

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) continue;
    if (c == '-' && i > 0 && i + 1 < s.size()) continue;
    return false;
  }
  return true;
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!IsDnsLabel(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<BrixJob> CheckBrixJob(const Json& job) {
  try {
    if (!job.is_object() || !job.contains("metadata") || !job["metadata"].is_object()) {
      return NotOurs("it has no metadata");
    }
    const Json& md = job["metadata"];
    std::string ns = md.value("namespace", ""), name = md.value("name", "");
    if (!IsDnsLabel(ns) || !IsDnsSubdomain(name)) {
      return NotOurs("its namespace or name is not a DNS label / subdomain");
    }
    const Json annotations = md.value("annotations", Json::object());
    const Json kind_value =
        annotations.is_object() ? annotations.value(api::kJobKindAnnotation, Json()) : Json();
    if (!kind_value.is_string() || !api::IsJobKind(kind_value.get<std::string>())) {
      return NotOurs(std::string("it has no known ") + api::kJobKindAnnotation + " annotation");
    }
    BrixJob out;
    out.kind = kind_value.get<std::string>();
    const Json pod = job.value(Json::json_pointer("/spec/template/spec"), Json::object());
    if (!pod.is_object()) return NotOurs("spec.template.spec is not an object");
    const Json containers = pod.value("containers", Json());
    if (!containers.is_array() || containers.size() != 1 || !containers[0].is_object()) {
      return NotOurs("it must have exactly one container");
    }
    if (!pod.value("initContainers", Json::array()).empty()) {
      return NotOurs("it has init containers");
    }
    BRIX_ASSIGN_OR_RETURN(std::vector<std::string> argv, Strings(containers[0], "command"));
    BRIX_ASSIGN_OR_RETURN(std::vector<std::string> args, Strings(containers[0], "args"));
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> want = {"brix",        "manager", EntryPoint(out.kind),
                                     "--namespace", ns,        "--name"};
    bool ok = argv.size() >= want.size() + 1 &&
              std::equal(want.begin(), want.end(), argv.begin()) &&
              IsDnsSubdomain(argv[want.size()]);
    size_t next = want.size() + 1;
    if (ok && api::IsLogJobKind(out.kind)) {
      ok = argv.size() >= next + 2 && argv[next] == "--subcommand" && argv[next + 1] == out.kind;
      next += 2;
      if (ok && out.kind == api::jobkind::kLogTruncate) {
        ok = argv.size() >= next + 2 && argv[next] == "--truncate-until" &&
             !argv[next + 1].empty() && argv[next + 1][0] != '-';
        next += 2;
      }
    }
    if (!ok || argv.size() != next) {
      return NotOurs("its command is not `brix manager " + EntryPoint(out.kind) + " --namespace " +
                     ns + " --name <name>` as a " + out.kind + " job runs");
    }
    out.args.assign(argv.begin() + 1, argv.end());
    std::string sa = pod.value("serviceAccountName", "");
    if (sa.empty()) sa = pod.value("serviceAccount", "");  // the deprecated spelling
    if (sa.empty()) sa = api::kDefaultJobServiceAccount;
    if (!IsDnsSubdomain(sa)) return NotOurs("its serviceAccountName is not a valid name");
    out.service_account = sa;
    return out;
  } catch (const Json::exception& e) {
    return NotOurs(std::string("malformed: ") + e.what());
  }
}

Result<std::map<std::string, std::string>> BuildJobEnv(const Json& container,
                                                       const SecretReader& read_secret,
                                                       const JobEnvBase& base) {
  std::map<std::string, std::string> own = base.fixed;
  own["PATH"] = kJobPath;
  own["HOME"] = base.home;
  own["TMPDIR"] = base.home;
  own["BRIX_API_SERVER"] = base.api_server;
  own["BRIX_API_TOKEN"] = base.token;
  if (!base.api_ca_file.empty()) own["BRIX_API_CA_FILE"] = base.api_ca_file;

  std::map<std::string, std::string> env;
  std::map<std::string, Json> secrets;  // each Secret read once per launch
  const Json list = container.value("env", Json::array());
  if (!list.is_array()) return Status::InvalidArgument("the container's env is not a list");
  for (const auto& e : list) {
    if (!e.is_object() || !e.value("name", Json()).is_string()) {
      return Status::InvalidArgument("an env entry has no name");
    }
    std::string key = e["name"].get<std::string>();
    if (!IsEnvName(key)) return Status::InvalidArgument("env " + key + ": not a variable name");
    if (key == "BRIX_API_CA_FILE" || own.count(key) || IsLoaderVariable(key)) {
      return Status::InvalidArgument("env " + key + ": set by brixd, not by a Job");
    }
    if (e.contains("value")) {
      if (!e["value"].is_string()) return Status::InvalidArgument("env " + key + ": not a string");
      env[key] = e["value"].get<std::string>();
      continue;
    }
    const Json ref = e.value(Json::json_pointer("/valueFrom/secretKeyRef"), Json());
    if (!ref.is_object()) {
      return Status::InvalidArgument("env " + key +
                                     ": only value and valueFrom.secretKeyRef are supported");
    }
    std::string secret_name = ref.value("name", ""), k = ref.value("key", "");
    bool optional = ref.value("optional", false);
    if (!IsDnsSubdomain(secret_name) || k.empty()) {
      return Status::InvalidArgument("env " + key + ": secretKeyRef needs a name and a key");
    }
    if (!secrets.count(secret_name)) {
      auto s = read_secret(secret_name);
      if (!s.ok()) {
        if (!(s.status().IsNotFound() && optional)) {
          return s.status().WithContext("env " + key + ": secret " + secret_name);
        }
        secrets[secret_name] = Json::object();
      } else {
        secrets[secret_name] = *s;
      }
    }
    const Json& secret = secrets[secret_name];
    const Json data = secret.value("data", Json::object());
    const Json string_data = secret.value("stringData", Json::object());
    if (data.is_object() && data.contains(k) && data[k].is_string()) {
      auto v = Base64Decode(data[k].get<std::string>());
      if (!v) {
        return Status::Corruption("env " + key + ": secret " + secret_name + " key " + k +
                                  " is not base64");
      }
      env[key] = *v;
    } else if (string_data.is_object() && string_data.contains(k) && string_data[k].is_string()) {
      env[key] = string_data[k].get<std::string>();
    } else if (!optional) {
      return Status::NotFound("env " + key + ": secret " + secret_name + " has no key " + k);
    }
  }
  for (auto& [k, v] : own) env[k] = v;
  return env;
}

Result<JobPaths> PathsFor(const std::string& state_dir, const std::string& ns,
                          const std::string& name) {
  if (!IsDnsLabel(ns)) return Status::InvalidArgument("namespace is not a DNS label");
  if (!IsDnsSubdomain(name)) return Status::InvalidArgument("job name is not a DNS subdomain");
  JobPaths p;
  p.dir = state_dir + "/jobs/" + ns;
  p.log = p.dir + "/" + name + ".log";
  p.work_dir = p.dir + "/" + name + ".d";
  return p;
}

}  // namespace brix::jobs
