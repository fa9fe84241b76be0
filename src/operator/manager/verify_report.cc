#include "operator/manager/verify_report.h"

#include <cstdio>

namespace brix::manager {
namespace {

double BytesPerSecond(const br::DeepValidateReport& r) {
  return r.seconds > 0 ? static_cast<double>(r.bytes) / r.seconds : 0;
}

}  // namespace

nlohmann::json VerificationJson(const br::DeepValidateReport& r, const std::string& finished_at) {
  nlohmann::json problems = nlohmann::json::array();
  for (size_t i = 0; i < r.problems.size() && i < kVerifyProblemsShown; ++i) {
    problems.push_back({{"file", r.problems[i].file}, {"problem", r.problems[i].what}});
  }
  nlohmann::json j = {{"result", r.ok() ? kVerifyPassed : kVerifyFailed},
                      {"snapshot", r.snapshot},
                      {"log", r.log},
                      {"snapshotTs", std::to_string(r.snapshot_ts)},
                      {"checkedFiles", r.files},
                      {"bytes", r.bytes},
                      {"kvs", r.kvs},
                      {"seconds", r.seconds},
                      {"bytesPerSecond", BytesPerSecond(r)},
                      {"unnamedLogFiles", r.unnamed_log_files},
                      {"problems", std::move(problems)},
                      {"problemsTotal", r.problems.size()},
                      {"finishedAt", finished_at}};
  if (!r.log.empty()) {
    j["restorableWindow"] = {{"fromTs", std::to_string(r.window_from)},
                             {"untilTs", std::to_string(r.window_until)}};
  }
  return j;
}

std::string VerificationText(const br::DeepValidateReport& r) {
  std::string out;
  for (const auto& p : r.problems) out += "BAD " + p.file + ": " + p.what + "\n";
  char line[512];
  std::snprintf(line, sizeof line,
                "%s: %llu files, %llu bytes (%.1f MiB/s), %llu kvs checked, %zu problem(s)",
                r.ok() ? "OK" : "FAILED", static_cast<unsigned long long>(r.files),
                static_cast<unsigned long long>(r.bytes), BytesPerSecond(r) / (1 << 20),
                static_cast<unsigned long long>(r.kvs), r.problems.size());
  out += line;
  if (!r.log.empty()) {
    out += "; restorable window [" + std::to_string(r.window_from) + ", " +
           std::to_string(r.window_until) + "]";
    if (r.unnamed_log_files > 0) {
      out += "; " + std::to_string(r.unnamed_log_files) + " log data file(s) no meta names";
    }
  }
  return out;
}

}  // namespace brix::manager
