#include "operator/manager/restore_report.h"

#include <cstdio>

namespace brix::manager {
namespace {

using Json = nlohmann::json;

std::string Mib(uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string Fixed(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Rates(const br::RestoreEstimate& e) {
  return e.runs == 0 ? "default calibration" : "measured (" + std::to_string(e.runs) + " restores)";
}

}  // namespace

Json PhasesJson(const std::vector<br::PhaseMeasure>& phases) {
  Json out = Json::array();
  for (const auto& p : phases) {
    out.push_back({{"name", p.name},
                   {"bytes", p.bytes},
                   {"seconds", p.seconds},
                   {"bytesPerSecond", p.BytesPerSecond()}});
  }
  return out;
}

Json PlanJson(const br::RestorePlan& plan) {
  Json compactions = Json::array();
  for (const auto& c : plan.compactions) {
    compactions.push_back({{"name", c.name},
                           {"fromTs", std::to_string(c.from_ts)},
                           {"untilTs", std::to_string(c.until_ts)},
                           {"ssts", c.ssts},
                           {"bytes", c.bytes}});
  }
  Json files = Json::array();
  for (size_t i = 0; i < plan.log_files.size() && i < kPlanLogFileNames; ++i) {
    files.push_back(plan.log_files[i]);
  }
  Json phases = Json::array();
  for (const auto& p : plan.estimate.phases) {
    phases.push_back({{"name", p.name},
                      {"bytes", p.bytes},
                      {"criticalBytes", p.critical_bytes},
                      {"bytesPerSecond", p.bytes_per_second},
                      {"overheadSeconds", p.overhead_seconds},
                      {"estimatedSeconds", p.seconds},
                      {"measuredRuns", p.runs}});
  }
  return {{"kind", plan.kind},
          {"snapshot", {{"path", plan.snapshot}, {"ts", std::to_string(plan.snapshot_ts)}}},
          {"restoredTs", std::to_string(plan.restored_ts)},
          {"snapshotFiles", plan.snapshot_files},
          {"tables", plan.tables},
          {"compactions", compactions},
          {"logFiles", files},
          {"logFilesTotal", plan.log_files.size()},
          {"phases", phases},
          {"overheadSeconds", plan.estimate.overhead_seconds},
          {"estimatedSeconds", plan.estimate.total_seconds},
          {"rates", Rates(plan.estimate)}};
}

std::string PhasesText(const std::vector<br::PhaseMeasure>& phases) {
  std::string out = "Phases:";
  for (size_t i = 0; i < phases.size(); ++i) {
    const auto& p = phases[i];
    out += (i ? ", " : " ") + p.name + " " + Mib(p.bytes) + " in " + Fixed("%.2fs", p.seconds) +
           " (" + Fixed("%.1f MiB/s", p.BytesPerSecond() / (1 << 20)) + ")";
  }
  return out;
}

std::string PlanText(const br::RestorePlan& plan) {
  std::string out = "Restore plan (dry run, nothing written): " + plan.kind + "\n";
  out += "  snapshot: " + plan.snapshot + " ts=" + std::to_string(plan.snapshot_ts) + " (" +
         std::to_string(plan.snapshot_files) + " files, " + std::to_string(plan.tables) +
         " tables)\n";
  if (plan.kind == "point") {
    out += "  restored-ts: " + std::to_string(plan.restored_ts) + "\n";
    out += "  compactions: " + std::to_string(plan.compactions.size()) + "\n";
    for (const auto& c : plan.compactions) {
      out += "    " + c.name + " [" + std::to_string(c.from_ts) + ", " +
             std::to_string(c.until_ts) + "] " + std::to_string(c.ssts) + " SSTs " + Mib(c.bytes) +
             "\n";
    }
    out += "  log files: " + std::to_string(plan.log_files.size()) + "\n";
  }
  for (const auto& p : plan.estimate.phases) {
    out += "  " + p.name + ": " + Mib(p.bytes) + " (critical path " + Mib(p.critical_bytes) +
           ") at " + Fixed("%.1f MiB/s", p.bytes_per_second / (1 << 20)) + " + " +
           Fixed("%.2fs", p.overhead_seconds) + " -> " + Fixed("%.2fs", p.seconds) +
           (p.runs ? " (" + std::to_string(p.runs) + " runs)" : std::string(" (default)")) + "\n";
  }
  out += "  overhead: " + Fixed("%.2fs", plan.estimate.overhead_seconds) + "\n";
  out += "Estimated restore time: " + Fixed("%.2fs", plan.estimate.total_seconds) + " (" +
         Rates(plan.estimate) + ")";
  return out;
}

}  // namespace brix::manager
