// BackupSchedule reconcile (docs/controllers.md, "BackupSchedule"). Differences from TiDB Operator,
// on purpose: the cron is evaluated in UTC, retention never deletes the log backup and maxBackups
// truncates logs too (retention.h), and the reconcile requeues itself for the next cron tick so
// seconds-scale schedules (`@every 20s`) fire on time.
#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "operator/api/backup_status.h"
#include "operator/api/cron.h"
#include "operator/api/go_time.h"
#include "operator/controller/controllers.h"
#include "operator/controller/retention.h"

namespace brix::controller {
namespace {

using Clock = std::chrono::system_clock;

Json OwnedMetadata(const Json& schedule, const std::string& name) {
  std::string bks = client::NameOf(schedule);
  Json labels = {{"app.kubernetes.io/name", "backup-schedule"},
                 {"app.kubernetes.io/managed-by", "backup-schedule-operator"},
                 {"app.kubernetes.io/instance", bks},
                 {kScheduleLabel, bks}};
  Json own_labels = schedule["metadata"].value("labels", Json::object());
  for (const auto& [k, v] : own_labels.items()) {
    if (!labels.contains(k)) labels[k] = v;
  }
  return {
      {"name", name},
      {"namespace", client::NamespaceOf(schedule)},
      {"labels", labels},
      {"ownerReferences", Json::array({{{"apiVersion", client::BackupSchedules().group_version()},
                                        {"kind", "BackupSchedule"},
                                        {"name", bks},
                                        {"uid", client::UidOf(schedule)},
                                        {"controller", true},
                                        {"blockOwnerDeletion", true}}})}};
}

std::string JoinPrefix(const Json& spec, const std::string& leaf) {
  std::string prefix = spec.contains("azblob") ? spec["azblob"].value("prefix", "") : "";
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix.empty() ? leaf : prefix + "/" + leaf;
}

std::optional<Clock::time_point> TimeField(const Json& object, const char* key) {
  std::string s = StatusField(object, key);
  if (s.empty()) return std::nullopt;
  return ParseIso8601Utc(s);
}

uint64_t TsOrZero(const std::string& s) {
  if (s.empty()) return 0;
  auto ts = api::ParseTsString(s);
  return ts.ok() ? *ts : 0;
}

Clock::time_point TimeOfTso(uint64_t ts) {
  return Clock::time_point(std::chrono::milliseconds(api::UnixMillisFromTso(ts)));
}

uint64_t TsoOfTime(Clock::time_point t) {
  return api::TsoFromUnixMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

Status WriteStatus(Context* ctx, const Json& schedule, const std::function<void(Json&)>& change) {
  auto r =
      client::MutateStatus(*ctx->client, client::BackupSchedules(), client::NamespaceOf(schedule),
                           client::NameOf(schedule), [&](Json& o) {
                             if (client::UidOf(o) != client::UidOf(schedule)) return false;
                             Json before = o.value("status", Json::object());
                             if (!o["status"].is_object()) o["status"] = Json::object();
                             change(o["status"]);
                             return o["status"] != before;
                           });
  return r.status();
}

}  // namespace

Status ScheduleController::CollectGarbage(const Json& schedule) {
  const Json& spec = schedule["spec"];
  std::string ns = client::NamespaceOf(schedule), bks = client::NameOf(schedule);
  RetentionInput in;
  if (spec.contains("maxReservedTime")) {
    auto d = api::ParseGoDuration(spec["maxReservedTime"].get<std::string>());
    if (d.ok()) in.max_reserved_time = *d;
  }
  in.max_backups = spec.value("maxBackups", 0);
  if (!in.max_reserved_time && in.max_backups <= 0) return Status::OK();
  in.now_ts = TsoOfTime(ctx_->options.now());
  BRIX_ASSIGN_OR_RETURN(auto backups, ctx_->client->List(client::Backups(), ns,
                                                         std::string(kScheduleLabel) + "=" + bks));
  std::sort(backups.begin(), backups.end(), [](const Json& a, const Json& b) {
    return a["metadata"].value("creationTimestamp", "") <
               b["metadata"].value("creationTimestamp", "") ||
           (a["metadata"].value("creationTimestamp", "") ==
                b["metadata"].value("creationTimestamp", "") &&
            client::NameOf(a) < client::NameOf(b));
  });
  Json log_backup;
  for (const Json& b : backups) {
    if (BeingDeleted(b)) continue;
    if (api::IsLogMode(b)) {
      log_backup = b;
      continue;
    }
    in.snapshots.push_back(
        {client::NameOf(b), api::Phase(b), TsOrZero(StatusField(b, "commitTs"))});
  }
  if (!log_backup.is_null() && !StatusField(log_backup, "commitTs").empty()) {
    in.log = LogEntry{TsOrZero(StatusField(log_backup, "commitTs")),
                      TsOrZero(StatusField(log_backup, "logCheckpointTs"))};
  }
  if (spec.contains("compactBackupTemplate")) {
    auto p = TimeField(schedule, "lastCompactProgress");
    in.compact_progress = p ? TsoOfTime(*p) : 0;
  }
  RetentionPlan plan = PlanRetention(in);
  for (const auto& name : plan.delete_names) {
    spdlog::info("schedule {}/{}: retention deletes backup {}", ns, bks, name);
    BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::Backups(), ns, name));
    client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule, "Normal",
                        "DeletedBackup", "retention deleted backup " + name);
  }
  if (plan.truncate_until > 0 && !log_backup.is_null() &&
      plan.truncate_until > TsOrZero(log_backup["spec"].value("logTruncateUntil", ""))) {
    std::string until = std::to_string(plan.truncate_until);
    auto r = client::MutateObject(*ctx_->client, client::Backups(), ns, client::NameOf(log_backup),
                                  [&](Json& b) {
                                    b["spec"]["logTruncateUntil"] = until;
                                    return true;
                                  });
    BRIX_RETURN_IF_ERROR(r.status());
    client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule, "Normal",
                        "SuccessfulTruncate",
                        "log backup " + client::NameOf(log_backup) + " truncates until " + until);
  }
  if (plan.all_deleted) {
    BRIX_RETURN_IF_ERROR(WriteStatus(ctx_, schedule, [&](Json& st) {
      st["lastBackup"] = "";
      st.erase("lastBackupTime");
      st["allBackupCleanTime"] = FormatIso8601(ctx_->options.now());
    }));
  }
  // CompactBackups: finished ones past the retention go too.
  if (in.max_reserved_time) {
    BRIX_ASSIGN_OR_RETURN(
        auto compacts,
        ctx_->client->List(client::CompactBackups(), ns, std::string(kScheduleLabel) + "=" + bks));
    uint64_t expired =
        in.now_ts -
        std::min(in.now_ts,
                 api::TsoFromUnixMillis(
                     std::chrono::duration_cast<std::chrono::milliseconds>(*in.max_reserved_time)
                         .count()));
    for (const Json& c : compacts) {
      std::string state = StatusField(c, "state");
      if ((state == "Complete" || state == "Failed") &&
          TsOrZero(c["spec"].value("endTs", "")) < expired) {
        BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::CompactBackups(), ns, client::NameOf(c)));
      }
    }
  }
  return Status::OK();
}

Status ScheduleController::Compact(const Json& schedule) {
  const Json& spec = schedule["spec"];
  std::string ns = client::NamespaceOf(schedule), bks = client::NameOf(schedule);
  if (!spec.contains("compactInterval") || !spec.contains("compactBackupTemplate")) {
    return Status::OK();
  }
  std::string log_name = StatusField(schedule, "logBackup");
  auto log_start = TimeField(schedule, "logBackupStartTs");
  if (log_name.empty() || !log_start) return Status::OK();
  auto log = ctx_->client->Get(client::Backups(), ns, log_name);
  if (!log.ok()) return log.status().IsNotFound() ? Status::OK() : log.status();
  uint64_t checkpoint = TsOrZero(StatusField(*log, "logCheckpointTs"));
  if (checkpoint == 0) return Status::OK();
  BRIX_ASSIGN_OR_RETURN(auto span,
                        api::ParseGoDuration(spec["compactInterval"].get<std::string>()));
  auto progress = TimeField(schedule, "lastCompactProgress");
  if (std::string last = StatusField(schedule, "lastCompact"); !last.empty()) {
    auto c = ctx_->client->Get(client::CompactBackups(), ns, last);
    if (c.ok()) {
      std::string state = StatusField(*c, "state");
      uint64_t p = 0;
      if (state == "Complete") {
        p = TsOrZero(StatusField(*c, "endTs"));
        if (p == 0) p = TsOrZero((*c)["spec"].value("endTs", ""));
      } else if (state == "Failed") {
        p = TsOrZero((*c)["spec"].value("startTs", ""));
      } else {
        return Status::OK();  // still running
      }
      if (p > 0 && TimeOfTso(p) >= *log_start && (!progress || TimeOfTso(p) > *progress)) {
        progress = TimeOfTso(p);
      }
    }
  }
  Clock::time_point start = progress ? *progress : *log_start;
  if (spec.contains("minCompactStartTs")) {
    uint64_t min = TsOrZero(spec["minCompactStartTs"].get<std::string>());
    if (min > 0 && TimeOfTso(min) > start) start = TimeOfTso(min);
  }
  auto cp_time = TimeOfTso(checkpoint);
  auto now = ctx_->options.now();
  auto step = std::chrono::duration_cast<Clock::duration>(span);
  Clock::time_point end = std::min(cp_time, start + 3 * step);
  auto last_exec = TimeField(schedule, "lastCompactExecutionTs");
  if (start >= cp_time || end - *log_start < step || (last_exec && now - *last_exec < step)) {
    return WriteStatus(ctx_, schedule, [&](Json& st) {
      if (progress) st["lastCompactProgress"] = FormatIso8601(*progress);
    });
  }
  std::string name = "compact-" + bks + "-" + NameTimestamp(now);
  Json cspec = spec["compactBackupTemplate"];
  cspec["startTs"] = WindowTimestamp(start);
  cspec["endTs"] = WindowTimestamp(end);
  if (cspec.contains("azblob") && (*log)["spec"].contains("azblob")) {
    cspec["azblob"]["prefix"] = (*log)["spec"]["azblob"].value("prefix", "");
  }
  Json cpbk = {{"apiVersion", client::CompactBackups().group_version()},
               {"kind", "CompactBackup"},
               {"metadata", OwnedMetadata(schedule, name)},
               {"spec", cspec}};
  auto created = ctx_->client->Create(client::CompactBackups(), ns, cpbk);
  if (!created.ok() && !created.status().IsAlreadyExists()) return created.status();
  client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule, "Normal",
                      "CreatedCompactBackup", "created CompactBackup " + name);
  return WriteStatus(ctx_, schedule, [&](Json& st) {
    st["lastCompact"] = name;
    st["lastCompactExecutionTs"] = FormatIso8601(now);
    if (progress) st["lastCompactProgress"] = FormatIso8601(*progress);
  });
}

Result<Outcome> ScheduleController::Reconcile(const std::string& ns, const std::string& name) {
  auto got = ctx_->client->Get(client::BackupSchedules(), ns, name);
  if (!got.ok()) return got.status().IsNotFound() ? Result<Outcome>(Outcome::Done()) : got.status();
  Json schedule = *got;
  if (BeingDeleted(schedule)) return Outcome::Done();
  const Json spec = schedule["spec"];  // a copy: `schedule` is re-read below
  // Retention runs even when paused (§5 step 1).
  if (Status s = CollectGarbage(schedule); !s.ok()) {
    spdlog::warn("schedule {}/{}: retention: {}", ns, name, s.ToString());
  }
  if (spec.value("pause", false)) return Outcome::After(ctx_->options.resync);
  auto now = ctx_->options.now();
  // The one log backup of the schedule.
  if (spec.contains("logBackupTemplate") && StatusField(schedule, "logBackup").empty()) {
    std::string log_name = "log-" + name;
    Json lspec = spec["logBackupTemplate"];
    lspec["backupMode"] = "log";
    if (lspec.contains("azblob")) {
      lspec["azblob"]["prefix"] = JoinPrefix(lspec, "log-" + NameTimestamp(now));
    }
    Json log = {{"apiVersion", client::Backups().group_version()},
                {"kind", "Backup"},
                {"metadata", OwnedMetadata(schedule, log_name)},
                {"spec", lspec}};
    auto created = ctx_->client->Create(client::Backups(), ns, log);
    if (!created.ok() && created.status().IsAlreadyExists()) {
      // Ours from an earlier reconcile that ended before it recorded it: adopt it.
      auto existing = ctx_->client->Get(client::Backups(), ns, log_name);
      bool ours = false;
      if (existing.ok()) {
        Json refs = (*existing)["metadata"].value("ownerReferences", Json::array());
        for (const auto& ref : refs) ours = ours || ref.value("uid", "") == client::UidOf(schedule);
      }
      if (ours) created = existing;
    }
    if (!created.ok()) {
      return created.status().WithContext("create log backup " + log_name);
    }
    client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule, "Normal",
                        "CreatedLogBackup", "created log backup " + log_name);
    BRIX_RETURN_IF_ERROR(WriteStatus(ctx_, schedule, [&](Json& st) {
      st["logBackup"] = log_name;
      st["logBackupStartTs"] = FormatIso8601(now);
    }));
    BRIX_ASSIGN_OR_RETURN(schedule, ctx_->client->Get(client::BackupSchedules(), ns, name));
  }
  if (Status s = Compact(schedule); !s.ok()) {
    spdlog::warn("schedule {}/{}: compaction: {}", ns, name, s.ToString());
  }
  // One snapshot at a time: the previous one must have finished.
  if (std::string last = StatusField(schedule, "lastBackup"); !last.empty()) {
    auto b = ctx_->client->Get(client::Backups(), ns, last);
    if (b.ok()) {
      std::string phase = api::Phase(*b);
      if (phase != "Complete" && phase != "Failed" && phase != "Invalid") {
        return Outcome::After(Millis(1000));
      }
    }
  }
  BRIX_ASSIGN_OR_RETURN(auto cron, api::CronSchedule::Parse(spec.value("schedule", "")));
  auto earliest = TimeField(schedule, "lastBackupTime");
  if (!earliest) earliest = TimeField(schedule, "allBackupCleanTime");
  if (!earliest) {
    earliest = ParseIso8601Utc(schedule["metadata"].value("creationTimestamp", ""));
  }
  if (!earliest) earliest = now;
  auto next = cron.Next(*earliest);
  if (!next) return Outcome::Done();
  if (*next > now) {
    return Outcome::After(std::chrono::duration_cast<Millis>(*next - now) + Millis(20));
  }
  // Fire, stamped with now (not the tick), as TiDB Operator does.
  std::string backup_name = name + "-" + NameTimestamp(now);
  Json bspec = spec["backupTemplate"];
  if (bspec.contains("br") && bspec.contains("azblob")) {
    std::string cluster_ns = bspec["br"].value("clusterNamespace", ns);
    bspec["azblob"]["prefix"] = JoinPrefix(bspec, bspec["br"].value("cluster", "") + "-pd." +
                                                      cluster_ns + "-2379-" + NameTimestamp(now));
  }
  Json backup = {{"apiVersion", client::Backups().group_version()},
                 {"kind", "Backup"},
                 {"metadata", OwnedMetadata(schedule, backup_name)},
                 {"spec", bspec}};
  auto created = ctx_->client->Create(client::Backups(), ns, backup);
  if (!created.ok() && !created.status().IsAlreadyExists()) return created.status();
  client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule, "Normal", "CreatedBackup",
                      "created backup " + backup_name);
  BRIX_RETURN_IF_ERROR(WriteStatus(ctx_, schedule, [&](Json& st) {
    st["lastBackup"] = backup_name;
    st["lastBackupTime"] = FormatIso8601(now);
    st.erase("allBackupCleanTime");
  }));
  auto after = cron.Next(now);
  return Outcome::After(after ? std::chrono::duration_cast<Millis>(*after - now) + Millis(20)
                              : ctx_->options.resync);
}

}  // namespace brix::controller
