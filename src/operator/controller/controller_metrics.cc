#include "operator/controller/controller_metrics.h"

#include <regex>

#include "common/time_util.h"
#include "operator/api/backup_status.h"
#include "operator/api/cron.h"
#include "operator/api/types.h"
#include "operator/controller/controllers.h"

namespace brix::controller {

namespace {

using metrics::CollectedFamily;
using metrics::Sample;
using metrics::Type;

std::string StatusString(const Json& o, const char* field) {
  if (!o.contains("status") || !o["status"].is_object()) return "";
  const Json& st = o["status"];
  return st.contains(field) && st[field].is_string() ? st[field].get<std::string>() : "";
}

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Seconds from status.timeStarted to status.timeCompleted; nullopt unless both parse.
std::optional<double> Duration(const Json& o) {
  auto start = ParseIso8601Utc(StatusString(o, "timeStarted"));
  auto end = ParseIso8601Utc(StatusString(o, "timeCompleted"));
  if (!start || !end || *end < *start) return std::nullopt;
  return std::chrono::duration<double>(*end - *start).count();
}

Sample Of(const Json& o, double value) {
  return Sample{{{"namespace", client::NamespaceOf(o)}, {"name", client::NameOf(o)}}, value};
}

}  // namespace

std::optional<double> CompactProgressRatio(const std::string& progress) {
  static const std::regex plain(R"(READ_META\((\d+)/(\d+)\),COMPACT_WORK\((\d+)/(\d+)\))");
  std::smatch m;
  if (!std::regex_search(progress, m, plain)) return std::nullopt;
  double work_done = std::stod(m[3]), work_total = std::stod(m[4]);
  // While it still reads the metadata (no work counted yet) nothing is compacted.
  return work_total > 0 ? std::min(1.0, work_done / work_total) : 0.0;
}

std::vector<CollectedFamily> CollectControllerMetrics(client::ApiClient& api,
                                                      const QueueDepths& depths) {
  CollectedFamily depth{"brix_controller_queue_depth",
                        "Keys waiting in a controller's work queue, by kind.",
                        Type::kGauge,
                        {}};
  for (const auto& [kind, n] : depths()) {
    depth.samples.push_back({{{"kind", kind}}, static_cast<double>(n)});
  }
  CollectedFamily phase{"brix_resource_phase",
                        "1 for a backup CR's current phase (status.phase; CompactBackup: "
                        "status.state), by kind, namespace and name.",
                        Type::kGauge,
                        {}};
  CollectedFamily size{"brix_backup_size_bytes",
                       "A completed snapshot backup's size (status.backupSize).",
                       Type::kGauge,
                       {}};
  CollectedFamily duration{"brix_run_duration_seconds",
                           "A completed Backup's or Restore's duration (timeStarted to "
                           "timeCompleted), by kind, namespace and name.",
                           Type::kGauge,
                           {}};
  CollectedFamily last{"brix_schedule_last_backup_timestamp_seconds",
                       "Unix time of a BackupSchedule's last snapshot backup "
                       "(status.lastBackupTime).",
                       Type::kGauge,
                       {}};
  CollectedFamily next{"brix_schedule_next_backup_timestamp_seconds",
                       "Unix time a BackupSchedule's next snapshot backup is due by its cron "
                       "(absent while paused).",
                       Type::kGauge,
                       {}};
  CollectedFamily progress{"brix_compaction_progress_ratio",
                           "A CompactBackup's done fraction, 0 to 1 (status.progress).",
                           Type::kGauge,
                           {}};
  CollectedFamily jobs{"brix_jobs",
                       "Jobs by owner kind and outcome (pending, active, succeeded, failed).",
                       Type::kGauge,
                       {}};

  auto add_phase = [&](const std::string& kind, const Json& o, const std::string& p) {
    if (p.empty()) return;
    Sample s = Of(o, 1);
    s.labels.insert(s.labels.begin(), {"kind", kind});
    s.labels.emplace_back("phase", p);
    phase.samples.push_back(std::move(s));
  };
  auto with_kind = [](const std::string& kind, Sample s) {
    s.labels.insert(s.labels.begin(), {"kind", kind});
    return s;
  };
  if (auto all = api.List(client::Backups(), ""); all.ok()) {
    for (const Json& o : *all) {
      std::string p = StatusString(o, "phase");
      add_phase("Backup", o, p);
      if (p != api::cond::kComplete) continue;
      const Json& st = o["status"];
      if (st.contains("backupSize") && st["backupSize"].is_number()) {
        size.samples.push_back(Of(o, st["backupSize"].get<double>()));
      }
      if (auto d = Duration(o)) duration.samples.push_back(with_kind("Backup", Of(o, *d)));
    }
  }
  if (auto all = api.List(client::Restores(), ""); all.ok()) {
    for (const Json& o : *all) {
      std::string p = StatusString(o, "phase");
      add_phase("Restore", o, p);
      if (p != api::cond::kComplete) continue;
      if (auto d = Duration(o)) duration.samples.push_back(with_kind("Restore", Of(o, *d)));
    }
  }
  if (auto all = api.List(client::CompactBackups(), ""); all.ok()) {
    for (const Json& o : *all) {
      std::string state = StatusString(o, "state");
      add_phase("CompactBackup", o, state);
      if (state == api::cond::kComplete) {
        progress.samples.push_back(Of(o, 1));
      } else if (auto r = CompactProgressRatio(StatusString(o, "progress"))) {
        progress.samples.push_back(Of(o, *r));
      }
    }
  }
  if (auto all = api.List(client::BackupSchedules(), ""); all.ok()) {
    const auto now = std::chrono::system_clock::now();
    for (const Json& o : *all) {
      auto schedule = api::ParseBackupSchedule(o);
      if (!schedule.ok()) continue;
      if (auto t = ParseIso8601Utc(schedule->status.last_backup_time)) {
        last.samples.push_back(Of(o, Seconds(*t)));
      }
      if (schedule->spec.pause || schedule->spec.backup_template.is_null()) continue;
      auto cron = api::CronSchedule::Parse(schedule->spec.schedule);
      if (!cron.ok()) continue;
      if (auto t = NextBackupRun(*schedule, *cron, now)) next.samples.push_back(Of(o, Seconds(*t)));
    }
  }
  if (auto all = api.List(client::Jobs(), ""); all.ok()) {
    std::map<std::pair<std::string, std::string>, double> counts;
    for (const Json& o : *all) {
      std::string kind = "none";
      const Json& meta = o["metadata"];
      if (meta.contains("ownerReferences") && meta["ownerReferences"].is_array() &&
          !meta["ownerReferences"].empty()) {
        kind = meta["ownerReferences"][0].value("kind", "none");
      }
      auto count = [&](const char* f) {
        if (!o.contains("status") || !o["status"].contains(f)) return int64_t{0};
        return o["status"][f].is_number() ? o["status"][f].get<int64_t>() : int64_t{0};
      };
      std::string outcome = count("succeeded") > 0 ? "succeeded"
                            : count("active") > 0  ? "active"
                            : count("failed") > 0  ? "failed"
                                                   : "pending";
      counts[{kind, outcome}] += 1;
    }
    for (const auto& [k, n] : counts) {
      jobs.samples.push_back({{{"kind", k.first}, {"outcome", k.second}}, n});
    }
  }
  std::vector<CollectedFamily> out;
  for (auto* f : {&depth, &phase, &size, &duration, &last, &next, &progress, &jobs}) {
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace brix::controller
