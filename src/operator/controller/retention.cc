#include "operator/controller/retention.h"

#include <algorithm>
#include <ctime>

#include "operator/api/go_time.h"

namespace brix::controller {
namespace {

bool Finished(const std::string& phase) {
  return phase == "Complete" || phase == "Failed" || phase == "Invalid";
}

std::string Format(std::chrono::system_clock::time_point t, const char* fmt) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), fmt, &tm);
  return buf;
}

// A truncation point is usable only inside the log's range.
uint64_t Clamp(uint64_t ts, const LogEntry& log) {
  return ts > log.start_ts && ts <= log.checkpoint_ts ? ts : 0;
}

}  // namespace

std::string NameTimestamp(std::chrono::system_clock::time_point t) {
  return Format(t, "%Y-%m-%dt%H-%M-%S");
}

std::string WindowTimestamp(std::chrono::system_clock::time_point t) {
  return Format(t, "%Y-%m-%d %H:%M:%S");
}

RetentionPlan PlanRetention(const RetentionInput& in) {
  RetentionPlan plan;
  std::vector<SnapshotEntry> finished;
  for (const auto& s : in.snapshots) {
    if (Finished(s.phase)) finished.push_back(s);
  }
  size_t keep_from = 0;  // index into `in.snapshots` order for maxBackups, `finished` otherwise
  if (in.max_reserved_time) {
    uint64_t reserved = api::TsoFromUnixMillis(
        std::chrono::duration_cast<std::chrono::milliseconds>(*in.max_reserved_time).count());
    if (!in.log) {
      uint64_t expired = in.now_ts > reserved ? in.now_ts - reserved : 0;
      while (keep_from < finished.size() && finished[keep_from].commit_ts < expired) ++keep_from;
      for (size_t i = 0; i < keep_from; ++i) plan.delete_names.push_back(finished[i].name);
    } else {
      uint64_t latest = in.log->checkpoint_ts;
      for (const auto& s : finished) latest = std::max(latest, s.commit_ts);
      uint64_t expired = latest > reserved ? latest - reserved : 0;
      size_t i = 0;
      while (i < finished.size() && finished[i].commit_ts <= expired) ++i;
      // Keep the newest snapshot at or before `expired`: PITR to `expired` still needs it.
      if (i > 1) {
        for (size_t k = 0; k + 1 < i; ++k) plan.delete_names.push_back(finished[k].name);
        plan.truncate_until = Clamp(finished[i - 1].commit_ts, *in.log);
      }
    }
    plan.all_deleted = !in.snapshots.empty() && plan.delete_names.size() == in.snapshots.size();
  } else if (in.max_backups > 0 && in.snapshots.size() > static_cast<size_t>(in.max_backups)) {
    size_t drop = in.snapshots.size() - static_cast<size_t>(in.max_backups);
    for (size_t k = 0; k < drop; ++k) plan.delete_names.push_back(in.snapshots[k].name);
    if (in.log) {
      // Truncate to the oldest kept snapshot that can seed a PITR.
      for (size_t k = drop; k < in.snapshots.size(); ++k) {
        if (in.snapshots[k].phase == "Complete" && in.snapshots[k].commit_ts > 0) {
          plan.truncate_until = Clamp(in.snapshots[k].commit_ts, *in.log);
          break;
        }
      }
    }
  }
  if (in.compact_progress && plan.truncate_until > 0) {
    plan.truncate_until = std::min(plan.truncate_until, *in.compact_progress);
  }
  return plan;
}

}  // namespace brix::controller
