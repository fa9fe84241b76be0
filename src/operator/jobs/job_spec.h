// What the job runner decides before it starts a process, as pure functions (tested as units):
//
// - CheckBrixJob: whether a Job is one brixd's controllers made and may run. It must carry the
//   annotation api::kJobKindAnnotation naming a known kind (api/job_kind.h), have exactly one
//   container whose command + args are `brix manager <entry point> --namespace <the Job's
//   namespace> --name <CR>` with the flags that kind takes and nothing else, and name a valid
//   ServiceAccount. Anything else is never executed (the runner records a NotABrixJob
//   condition). The annotation is trusted because the API server accepts it only from the
//   controllers' identity and a Job's template is immutable.
// - BuildJobEnv: a job's environment, built from nothing: a fixed PATH, HOME and TMPDIR (the
//   job's private folder), the API address, CA and the job's own ServiceAccount token, brixd's
//   fixed `job_env` map, and the variables the container lists (literal values and secretKeyRef
//   values, each key read from the named Secret of the Job's namespace, as the kubelet does).
//   Never brixd's own environment. A container may not set a variable brixd sets itself nor one
//   that changes how a program loads (LD_*, GCONV_PATH, ...).
// - JobPaths: where a job's log and private folder go. Namespace and name are checked as DNS
//   labels / subdomains first, so no Job can make a path outside <state>/jobs.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace brix::jobs {

using Json = nlohmann::json;

// RFC 1123 label (a namespace): [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool IsDnsLabel(std::string_view s);
// RFC 1123 subdomain (an object name): labels joined by '.', at most 253 characters.
bool IsDnsSubdomain(std::string_view s);

// The reason of the condition a Job that is not brixd's gets.
inline constexpr char kNotABrixJobReason[] = "NotABrixJob";

struct BrixJob {
  std::string kind;               // api::jobkind
  std::vector<std::string> args;  // after the program: "manager", "backup", ...
  std::string service_account;    // spec.template.spec.serviceAccountName
};
// InvalidArgument saying what makes the Job not brixd's (the message goes into the condition).
[[nodiscard]] Result<BrixJob> CheckBrixJob(const Json& job);

// What brixd itself puts into every job's environment.
struct JobEnvBase {
  std::string api_server;   // BRIX_API_SERVER
  std::string api_ca_file;  // BRIX_API_CA_FILE ("" = none)
  std::string token;        // BRIX_API_TOKEN: the job's ServiceAccount token (a credential)
  std::string home;         // HOME and TMPDIR: the job's private folder
  std::map<std::string, std::string> fixed;  // JobRunnerOptions::job_env
};
inline constexpr char kJobPath[] = "/usr/local/bin:/usr/bin:/bin";

// Reads a Secret of the Job's namespace by name (NotFound when absent).
using SecretReader = std::function<Result<Json>(const std::string& name)>;
// `container` is the Job's first container. Errors name the variable, the Secret and the key,
// never a value.
[[nodiscard]] Result<std::map<std::string, std::string>> BuildJobEnv(const Json& container,
                                                                     const SecretReader& secrets,
                                                                     const JobEnvBase& base);

struct JobPaths {
  std::string dir;       // <state>/jobs/<namespace>           (0700)
  std::string log;       // <dir>/<name>.log                   (0600)
  std::string work_dir;  // <dir>/<name>.d: HOME and TMPDIR    (0700)
};
// InvalidArgument when the namespace or name is not a DNS label / subdomain.
[[nodiscard]] Result<JobPaths> PathsFor(const std::string& state_dir, const std::string& ns,
                                        const std::string& name);

}  // namespace brix::jobs
