// The kinds of Job brixd's controllers create, and the annotation that names a Job's kind. This
// header is the one owner of both: the controllers set the annotation (controller/context.cc),
// the job runner executes a Job only when the annotation names one of these kinds and the
// container runs the matching `brix manager` entry point (jobs/job_spec.h). Only the controllers
// write it: brixd's API server refuses (403) any create, update or patch through the API that
// sets, changes or removes it unless the caller is the controller identity (apiserver/authn.h),
// and a Job's spec.template cannot change after creation (422), so a marked Job can never be
// turned into something else.
//
// Kind -> what the Job runs (after "brix manager"):
//   backup        backup --namespace NS --name CR
//   log-start ... backup --namespace NS --name CR --subcommand <kind> (log-truncate adds
//                 --truncate-until TS)
//   clean         clean --namespace NS --name CR
//   restore       restore --namespace NS --name CR
//   compact       compact --namespace NS --name CR
#pragma once

#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "operator/api/backup_status.h"

namespace brix::api {

inline constexpr char kJobKindAnnotation[] = "brix.pingcap.com/job-kind";

namespace jobkind {
inline constexpr char kBackup[] = "backup";
inline constexpr char kRestore[] = "restore";
inline constexpr char kCompact[] = "compact";
inline constexpr char kClean[] = "clean";
inline constexpr const char* kLogStart = logcmd::kStart;  // log kinds are the subcommands
inline constexpr const char* kLogPause = logcmd::kPause;
inline constexpr const char* kLogResume = logcmd::kResume;
inline constexpr const char* kLogStop = logcmd::kStop;
inline constexpr const char* kLogTruncate = logcmd::kTruncate;
}  // namespace jobkind

inline constexpr std::array<std::string_view, 9> kJobKinds = {
    jobkind::kBackup,    jobkind::kRestore,  jobkind::kCompact,
    jobkind::kClean,     jobkind::kLogStart, jobkind::kLogPause,
    jobkind::kLogResume, jobkind::kLogStop,  jobkind::kLogTruncate};

inline bool IsJobKind(std::string_view kind) {
  for (std::string_view k : kJobKinds) {
    if (k == kind) return true;
  }
  return false;
}

// A log kind is a `brix manager backup --subcommand <kind>` Job; its kind is the subcommand.
inline bool IsLogJobKind(std::string_view kind) {
  return kind == jobkind::kLogStart || kind == jobkind::kLogPause || kind == jobkind::kLogResume ||
         kind == jobkind::kLogStop || kind == jobkind::kLogTruncate;
}

// The ServiceAccount (and Role and RoleBinding of the same name) a Job runs as when its CR's
// spec.serviceAccount names none; the controllers create them in the CR's namespace.
inline constexpr char kDefaultJobServiceAccount[] = "brix-job";

// spec.br.logLevel reaches a job as this variable (the level `brix` logs at, read by
// tools/brix/main.cc like --log-level).
inline constexpr char kJobLogLevelEnv[] = "BRIX_LOG_LEVEL";
// The brix (spdlog) level of a BR log level, any case: debug, info, warn (warning), error,
// fatal (critical); "" when it is none of them.
inline std::string JobLogLevel(std::string_view br_level) {
  std::string l;
  for (char c : br_level) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "debug" || l == "info" || l == "warn" || l == "error") return l;
  if (l == "warning") return "warn";
  if (l == "fatal") return "critical";
  return "";
}

// A job's log file (jobs/job_runner.h) holds every attempt's output, each after a line
// "=== <RFC 3339 time> attempt <n>: <job> as <namespace>/<serviceaccount>"; the API server's Pods
// (apiserver/pods.h) split the file at these lines.
inline constexpr std::string_view kAttemptHeaderPrefix = "=== ";
inline std::string AttemptHeader(const std::string& time, int attempt, const std::string& job,
                                 const std::string& ns, const std::string& service_account) {
  return std::string(kAttemptHeaderPrefix) + time + " attempt " + std::to_string(attempt) + ": " +
         job + " as " + ns + "/" + service_account + "\n";
}
// The attempt number and time of a header line (without its newline); 0 when it is none.
inline int ParseAttemptHeader(std::string_view line, std::string* time) {
  if (!line.starts_with(kAttemptHeaderPrefix)) return 0;
  line.remove_prefix(kAttemptHeaderPrefix.size());
  size_t space = line.find(' ');
  if (space == std::string_view::npos || !line.substr(space).starts_with(" attempt ")) return 0;
  std::string_view rest = line.substr(space + 9);
  int n = 0;
  size_t i = 0;
  for (; i < rest.size() && i < 9 && rest[i] >= '0' && rest[i] <= '9'; ++i)
    n = n * 10 + (rest[i] - '0');
  if (i == 0 || i >= rest.size() || rest[i] != ':') return 0;
  *time = std::string(line.substr(0, space));
  return n;
}

}  // namespace brix::api
