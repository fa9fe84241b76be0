#include "operator/controller/retention.h"

#include <algorithm>
#include <ctime>

#include "operator/api/go_time.h"

namespace brix::controller {
namespace {

bool IsFinished(const SnapshotEntry& s) {
  return s.phase == "Complete" || s.phase == "Failed" || s.phase == "Invalid";
}

// A snapshot a restore can use: Complete, with its commit ts.
bool IsUsable(const SnapshotEntry& s) { return s.phase == "Complete" && s.commit_ts > 0; }

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
  // Usable snapshots, oldest commit first: only these count, anchor PITR, or are kept.
  std::vector<size_t> usable;  // indices into in.snapshots
  for (size_t i = 0; i < in.snapshots.size(); ++i) {
    if (IsUsable(in.snapshots[i])) usable.push_back(i);
  }
  std::stable_sort(usable.begin(), usable.end(), [&](size_t a, size_t b) {
    return in.snapshots[a].commit_ts < in.snapshots[b].commit_ts;
  });
  if (usable.empty()) return plan;  // nothing to keep, so nothing may go
  auto ts = [&](size_t k) { return in.snapshots[usable[k]].commit_ts; };
  size_t drop = 0;  // the `drop` oldest usable snapshots go
  if (in.max_reserved_time) {
    uint64_t reserved = api::TsoFromUnixMillis(
        std::chrono::duration_cast<std::chrono::milliseconds>(*in.max_reserved_time).count());
    if (!in.log) {
      uint64_t expired = in.now_ts > reserved ? in.now_ts - reserved : 0;
      while (drop + 1 < usable.size() && ts(drop) < expired) ++drop;  // the newest always stays
    } else {
      uint64_t latest = std::max(in.log->checkpoint_ts, ts(usable.size() - 1));
      uint64_t expired = latest > reserved ? latest - reserved : 0;
      size_t at_or_before = 0;
      while (at_or_before < usable.size() && ts(at_or_before) <= expired) ++at_or_before;
      // Keep the newest snapshot at or before `expired`: PITR to `expired` still needs it.
      if (at_or_before > 1) drop = at_or_before - 1;
    }
  } else if (in.max_backups > 0 && usable.size() > static_cast<size_t>(in.max_backups)) {
    drop = usable.size() - static_cast<size_t>(in.max_backups);
  }
  if (in.log && drop > 0) {
    // The newest snapshot the log's window [start, checkpoint] can start from stays too.
    size_t seed = usable.size();
    for (size_t k = 0; k < usable.size() && ts(k) <= in.log->checkpoint_ts; ++k) seed = k;
    if (seed < drop) drop = seed;
    if (drop > 0) plan.truncate_until = Clamp(ts(drop), *in.log);  // the oldest kept
  }
  // Names in creation order: the dropped usable ones, and finished unusable ones (Failed,
  // Invalid) created before the oldest kept usable one. Running ones always stay.
  std::vector<bool> gone(in.snapshots.size(), false);
  size_t oldest_kept = in.snapshots.size();
  for (size_t k = 0; k < usable.size(); ++k) {
    if (k < drop) {
      gone[usable[k]] = true;
    } else {
      oldest_kept = std::min(oldest_kept, usable[k]);
    }
  }
  for (size_t i = 0; i < oldest_kept; ++i) {
    if (IsFinished(in.snapshots[i]) && !IsUsable(in.snapshots[i])) gone[i] = true;
  }
  for (size_t i = 0; i < in.snapshots.size(); ++i) {
    if (gone[i]) plan.delete_names.push_back(in.snapshots[i].name);
  }
  plan.all_deleted = plan.delete_names.size() == in.snapshots.size();
  if (in.compact_progress && plan.truncate_until > 0) {
    plan.truncate_until = std::min(plan.truncate_until, *in.compact_progress);
  }
  return plan;
}

}  // namespace brix::controller
