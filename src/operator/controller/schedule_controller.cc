// BackupSchedule reconcile (docs/controllers.md, "BackupSchedule"). Differences from TiDB Operator,
// on purpose: the cron is evaluated in UTC, retention never deletes the log backup and maxBackups
// truncates logs too (retention.h), and the reconcile requeues itself for the next cron tick so
// seconds-scale schedules (`@every 20s`) fire on time. Compaction runs with compactInterval alone
// (the seed's YAML): without compactBackupTemplate its spec comes from logBackupTemplate; the
// first CompactBackup comes with the log's first checkpoint (the seed: "created together with
// backupSchedule"), and status.nextCompact says what comes next.
#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "common/timestamp.h"
#include "operator/api/backup_status.h"
#include "operator/api/cron.h"
#include "operator/api/go_time.h"
#include "operator/api/resources.h"
#include "operator/controller/controllers.h"
#include "operator/controller/retention.h"

namespace brix::controller {
namespace {

using Clock = std::chrono::system_clock;
namespace field = api::field;

// How often a running CompactBackup of the schedule is looked at (status.nextCompact follows it).
constexpr Millis kCompactPoll{5000};

Json OwnedMetadata(const api::BackupSchedule& schedule, const std::string& name) {
  const std::string& bks = schedule.metadata.name;
  Json labels = {{"app.kubernetes.io/name", "backup-schedule"},
                 {"app.kubernetes.io/managed-by", "backup-schedule-operator"},
                 {"app.kubernetes.io/instance", bks},
                 {kScheduleLabel, bks}};
  Json own_labels = schedule.object[field::kMetadata].value("labels", Json::object());
  for (const auto& [k, v] : own_labels.items()) {
    if (!labels.contains(k)) labels[k] = v;
  }
  return {
      {"name", name},
      {"namespace", schedule.metadata.ns},
      {"labels", labels},
      {"ownerReferences", Json::array({{{"apiVersion", client::BackupSchedules().group_version()},
                                        {"kind", "BackupSchedule"},
                                        {"name", bks},
                                        {"uid", schedule.metadata.uid},
                                        {"controller", true},
                                        {"blockOwnerDeletion", true}}})}};
}

// `leaf` under the prefix of a template's azblob (a template spec as JSON).
std::string JoinPrefix(const Json& spec, const std::string& leaf) {
  std::string prefix = spec.contains(field::kAzblob)
                           ? spec[field::kAzblob].value(field::kPrefix, std::string())
                           : "";
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix.empty() ? leaf : prefix + "/" + leaf;
}

// A time of the schedule's status; nullopt when unset.
std::optional<Clock::time_point> TimeOf(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return ParseIso8601Utc(s);
}

Clock::time_point TimeOfTso(uint64_t ts) {
  return Clock::time_point(std::chrono::milliseconds(api::UnixMillisFromTso(ts)));
}

uint64_t TsoOfTime(Clock::time_point t) {
  return api::TsoFromUnixMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

Status WriteStatus(Context* ctx, const api::BackupSchedule& schedule,
                   const std::function<void(Json&)>& change) {
  auto r = client::MutateStatus(*ctx->client, client::BackupSchedules(), schedule.metadata.ns,
                                schedule.metadata.name, [&](Json& o) {
                                  if (client::UidOf(o) != schedule.metadata.uid) return false;
                                  Json before = o.value(field::kStatus, Json::object());
                                  Json& st = o[field::kStatus];
                                  if (!st.is_object()) st = Json::object();
                                  change(st);
                                  return st != before;
                                });
  return r.status();
}

// The CompactBackup spec a schedule compacts with; nullopt when it has nothing to compact.
std::optional<Json> CompactTemplate(const api::ScheduleSpec& spec) {
  if (spec.compact_backup_template) return *spec.compact_backup_template;
  if (!spec.log_backup_template || !spec.log_backup_template->is_object()) return std::nullopt;
  // The log backup's storage, br and pod fields: what a CompactBackup shares with it (the seed
  // says the two storages must match). Fields a CompactBackup does not have are left out.
  const auto& allowed = api::CompactSpecSchema()->properties;
  Json derived = Json::object();
  for (const auto& [key, value] : spec.log_backup_template->items()) {
    if (allowed.count(key) && key != field::kStartTs && key != field::kEndTs) {
      derived[key] = value;
    }
  }
  return derived;
}

}  // namespace

Status ScheduleController::CollectGarbage(const api::BackupSchedule& schedule) {
  const api::ScheduleSpec& spec = schedule.spec;
  const std::string &ns = schedule.metadata.ns, &bks = schedule.metadata.name;
  RetentionInput in;
  if (!spec.max_reserved_time.empty()) {
    auto d = api::ParseGoDuration(spec.max_reserved_time);
    if (d.ok()) in.max_reserved_time = *d;
  }
  in.max_backups = spec.max_backups;
  if (!in.max_reserved_time && in.max_backups <= 0) return Status::OK();
  in.now_ts = TsoOfTime(ctx_->options.now());
  BRIX_ASSIGN_OR_RETURN(auto listed, ctx_->client->List(client::Backups(), ns,
                                                        std::string(kScheduleLabel) + "=" + bks));
  std::vector<api::Backup> backups;
  for (const Json& b : listed) {
    BRIX_ASSIGN_OR_RETURN(api::Backup typed, api::ParseBackup(b));
    backups.push_back(std::move(typed));
  }
  std::sort(backups.begin(), backups.end(), [](const api::Backup& a, const api::Backup& b) {
    return a.metadata.creation_timestamp < b.metadata.creation_timestamp ||
           (a.metadata.creation_timestamp == b.metadata.creation_timestamp &&
            a.metadata.name < b.metadata.name);
  });
  std::optional<api::Backup> log_backup;
  for (const api::Backup& b : backups) {
    if (b.metadata.deleting) continue;
    if (b.spec.IsLogMode()) {
      log_backup = b;
      continue;
    }
    in.snapshots.push_back({b.metadata.name, b.status.phase, TimestampOrZero(b.status.commit_ts)});
  }
  if (log_backup && !log_backup->status.commit_ts.empty()) {
    in.log = LogEntry{TimestampOrZero(log_backup->status.commit_ts),
                      TimestampOrZero(log_backup->status.log_checkpoint_ts)};
  }
  if (!spec.compact_interval.empty() && CompactTemplate(spec)) {
    auto p = TimeOf(schedule.status.last_compact_progress);
    in.compact_progress = p ? TsoOfTime(*p) : 0;
  }
  RetentionPlan plan = PlanRetention(in);
  for (const auto& name : plan.delete_names) {
    spdlog::info("schedule {}/{}: retention deletes backup {}", ns, bks, name);
    BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::Backups(), ns, name));
    client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule.object, "Normal",
                        "DeletedBackup", "retention deleted backup " + name);
  }
  if (plan.truncate_until > 0 && log_backup &&
      plan.truncate_until > TimestampOrZero(log_backup->spec.log_truncate_until)) {
    std::string until = std::to_string(plan.truncate_until);
    const std::string& log_name = log_backup->metadata.name;
    auto r = client::MutateObject(*ctx_->client, client::Backups(), ns, log_name, [&](Json& b) {
      b[field::kSpec][field::kLogTruncateUntil] = until;
      return true;
    });
    BRIX_RETURN_IF_ERROR(r.status());
    client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule.object, "Normal",
                        "SuccessfulTruncate",
                        "log backup " + log_name + " truncates until " + until);
  }
  if (plan.all_deleted) {
    BRIX_RETURN_IF_ERROR(WriteStatus(ctx_, schedule, [&](Json& st) {
      st[field::kLastBackup] = "";
      st.erase(field::kLastBackupTime);
      st[field::kAllBackupCleanTime] = FormatIso8601(ctx_->options.now());
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
    for (const Json& object : compacts) {
      BRIX_ASSIGN_OR_RETURN(api::CompactBackup c, api::ParseCompactBackup(object));
      const std::string& state = c.status.state;
      if ((state == api::cond::kComplete || state == api::cond::kFailed) &&
          TimestampOrZero(c.spec.end_ts) < expired) {
        BRIX_RETURN_IF_ERROR(ctx_->client->Delete(client::CompactBackups(), ns, c.metadata.name));
      }
    }
  }
  return Status::OK();
}

Status ScheduleController::Compact(const api::BackupSchedule& schedule,
                                   std::optional<Millis>* again) {
  const api::ScheduleSpec& spec = schedule.spec;
  const std::string &ns = schedule.metadata.ns, &bks = schedule.metadata.name;
  if (spec.compact_interval.empty()) return Status::OK();
  api::NextCompact next;
  std::optional<Clock::time_point> progress = TimeOf(schedule.status.last_compact_progress);
  // Every way out records what comes next (status.nextCompact), so nothing stalls silently.
  auto record = [&]() {
    return WriteStatus(ctx_, schedule, [&](Json& st) {
      st[field::kNextCompact] = next.ToJson();
      if (progress) st[field::kLastCompactProgress] = FormatIso8601(*progress);
    });
  };
  std::optional<Json> tmpl = CompactTemplate(spec);
  if (!tmpl) {
    next.waiting_for =
        "spec.logBackupTemplate (or spec.compactBackupTemplate): compactInterval compacts the "
        "schedule's log backup, and there is none";
    return record();
  }
  const std::string& log_name = schedule.status.log_backup;
  auto log_start = TimeOf(schedule.status.log_backup_start_ts);
  if (log_name.empty() || !log_start) {
    next.waiting_for = "the log backup to be created";
    return record();
  }
  auto got = ctx_->client->Get(client::Backups(), ns, log_name);
  if (!got.ok() && !got.status().IsNotFound()) return got.status();
  if (!got.ok()) {
    next.waiting_for = "log backup " + log_name + ", which does not exist";
    return record();
  }
  BRIX_ASSIGN_OR_RETURN(const api::Backup log, api::ParseBackup(*got));
  BRIX_ASSIGN_OR_RETURN(auto span, api::ParseGoDuration(spec.compact_interval));
  auto step = std::chrono::duration_cast<Clock::duration>(span);
  if (const std::string& last = schedule.status.last_compact; !last.empty()) {
    auto got_c = ctx_->client->Get(client::CompactBackups(), ns, last);
    auto c =
        got_c.ok() ? api::ParseCompactBackup(*got_c) : Result<api::CompactBackup>(got_c.status());
    if (c.ok()) {
      const std::string& state = c->status.state;
      uint64_t p = 0;
      if (state == api::cond::kComplete) {
        p = TimestampOrZero(c->status.end_ts);
        if (p == 0) p = TimestampOrZero(c->spec.end_ts);
      } else if (state == api::cond::kFailed) {
        p = TimestampOrZero(c->spec.start_ts);
      } else {
        next = schedule.status.next_compact;
        next.waiting_for = "CompactBackup " + last + " to finish";
        *again = kCompactPoll;  // status.nextCompact follows its end soon
        return record();
      }
      if (p > 0 && TimeOfTso(p) >= *log_start && (!progress || TimeOfTso(p) > *progress)) {
        progress = TimeOfTso(p);
      }
    }
  }
  Clock::time_point start = progress ? *progress : *log_start;
  if (!spec.min_compact_start_ts.empty()) {
    uint64_t min = TimestampOrZero(spec.min_compact_start_ts);
    if (min > 0 && TimeOfTso(min) > start) start = TimeOfTso(min);
  }
  next.start_ts = WindowTimestamp(start);
  // The first CompactBackup comes with the log backup's first checkpoint ("created together
  // with backupSchedule", as the seed says); later ones one interval apart, as TiDB Operator.
  const bool first = schedule.status.last_compact.empty() && !progress;
  auto now = ctx_->options.now();
  auto last_exec = TimeOf(schedule.status.last_compact_execution_ts);
  Clock::time_point not_before = last_exec ? *last_exec + step : first ? now : *log_start + step;
  if (!first) next.not_before = FormatIso8601(not_before);  // the first: as soon as it can
  uint64_t checkpoint = TimestampOrZero(log.status.log_checkpoint_ts);
  auto cp_time = TimeOfTso(checkpoint);
  Clock::time_point end = std::min(cp_time, start + 3 * step);
  if (checkpoint == 0 || start >= cp_time) {
    next.waiting_for = "the checkpoint of log backup " + log_name + " to pass " + next.start_ts;
    if (first) *again = Millis(2000);
    return record();
  }
  if (now < not_before || (!first && end - *log_start < step)) {
    auto wait = std::max(not_before, *log_start + step) - now;
    *again = wait > Clock::duration::zero() ? std::chrono::duration_cast<Millis>(wait) + Millis(20)
                                            : Millis(2000);  // the checkpoint must move first
    return record();
  }
  std::string name = "compact-" + bks + "-" + NameTimestamp(now);
  Json cspec = *tmpl;
  cspec[field::kStartTs] = WindowTimestamp(start);
  cspec[field::kEndTs] = WindowTimestamp(end);
  if (cspec.contains(field::kAzblob) && log.spec.storage.azblob) {
    cspec[field::kAzblob][field::kPrefix] = log.spec.storage.azblob->prefix;
  }
  Json cpbk = {{"apiVersion", client::CompactBackups().group_version()},
               {"kind", "CompactBackup"},
               {"metadata", OwnedMetadata(schedule, name)},
               {"spec", cspec}};
  auto created = ctx_->client->Create(client::CompactBackups(), ns, cpbk);
  if (!created.ok() && !created.status().IsAlreadyExists()) return created.status();
  client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule.object, "Normal",
                      "CreatedCompactBackup",
                      "created CompactBackup " + name + " for " + WindowTimestamp(start) + " to " +
                          WindowTimestamp(end));
  next.start_ts = WindowTimestamp(end);
  next.not_before = FormatIso8601(now + step);
  next.waiting_for = "CompactBackup " + name + " to finish";
  *again = kCompactPoll;
  return WriteStatus(ctx_, schedule, [&](Json& st) {
    st[field::kLastCompact] = name;
    st[field::kLastCompactExecutionTs] = FormatIso8601(now);
    st[field::kNextCompact] = next.ToJson();
    if (progress) st[field::kLastCompactProgress] = FormatIso8601(*progress);
  });
}

Result<Outcome> ScheduleController::Reconcile(const std::string& ns, const std::string& name) {
  std::optional<Millis> again;
  BRIX_ASSIGN_OR_RETURN(Outcome outcome, ReconcileOnce(ns, name, &again));
  if (again && (!outcome.requeue_after || *again < *outcome.requeue_after)) {
    outcome.requeue_after = *again;
  }
  return outcome;
}

Result<Outcome> ScheduleController::ReconcileOnce(const std::string& ns, const std::string& name,
                                                  std::optional<Millis>* again) {
  auto got = ctx_->client->Get(client::BackupSchedules(), ns, name);
  if (!got.ok()) return got.status().IsNotFound() ? Result<Outcome>(Outcome::Done()) : got.status();
  BRIX_ASSIGN_OR_RETURN(api::BackupSchedule schedule, api::ParseBackupSchedule(*got));
  if (schedule.metadata.deleting) return Outcome::Done();
  const api::ScheduleSpec spec = schedule.spec;  // a copy: `schedule` is re-read below
  // Retention runs even when paused (§5 step 1).
  if (Status s = CollectGarbage(schedule); !s.ok()) {
    spdlog::warn("schedule {}/{}: retention: {}", ns, name, s.ToString());
  }
  if (spec.pause) return Outcome::After(ctx_->options.resync);
  auto now = ctx_->options.now();
  // The one log backup of the schedule.
  if (spec.log_backup_template && schedule.status.log_backup.empty()) {
    std::string log_name = "log-" + name;
    Json lspec = *spec.log_backup_template;
    lspec[field::kBackupMode] = api::value::kLog;
    if (lspec.contains(field::kAzblob)) {
      lspec[field::kAzblob][field::kPrefix] = JoinPrefix(lspec, "log-" + NameTimestamp(now));
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
        Json refs = (*existing)[field::kMetadata].value("ownerReferences", Json::array());
        for (const auto& ref : refs) ours = ours || ref.value("uid", "") == schedule.metadata.uid;
      }
      if (ours) created = existing;
    }
    if (!created.ok()) {
      return created.status().WithContext("create log backup " + log_name);
    }
    client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule.object, "Normal",
                        "CreatedLogBackup", "created log backup " + log_name);
    BRIX_RETURN_IF_ERROR(WriteStatus(ctx_, schedule, [&](Json& st) {
      st[field::kLogBackup] = log_name;
      st[field::kLogBackupStartTs] = FormatIso8601(now);
    }));
    BRIX_ASSIGN_OR_RETURN(Json reread, ctx_->client->Get(client::BackupSchedules(), ns, name));
    BRIX_ASSIGN_OR_RETURN(schedule, api::ParseBackupSchedule(reread));
  }
  if (Status s = Compact(schedule, again); !s.ok()) {
    spdlog::warn("schedule {}/{}: compaction: {}", ns, name, s.ToString());
  }
  // One snapshot at a time: the previous one must have finished.
  if (const std::string& last = schedule.status.last_backup; !last.empty()) {
    auto got_b = ctx_->client->Get(client::Backups(), ns, last);
    auto b = got_b.ok() ? api::ParseBackup(*got_b) : Result<api::Backup>(got_b.status());
    if (b.ok()) {
      const std::string& phase = b->status.phase;
      if (phase != api::cond::kComplete && phase != api::cond::kFailed &&
          phase != api::cond::kInvalid) {
        return Outcome::After(Millis(1000));
      }
    }
  }
  BRIX_ASSIGN_OR_RETURN(auto cron, api::CronSchedule::Parse(spec.schedule));
  auto next = NextBackupRun(schedule, cron, now);
  if (!next) return Outcome::Done();
  if (*next > now) {
    return Outcome::After(std::chrono::duration_cast<Millis>(*next - now) + Millis(20));
  }
  // Fire, stamped with now (not the tick), as TiDB Operator does.
  std::string backup_name = name + "-" + NameTimestamp(now);
  Json bspec = spec.backup_template;
  if (bspec.contains(field::kBr) && bspec.contains(field::kAzblob)) {
    BRIX_ASSIGN_OR_RETURN(api::BackupSpec typed, api::ParseBackupSpec(bspec));
    std::string cluster_ns =
        bspec[field::kBr].contains(field::kClusterNamespace) ? typed.br.cluster_namespace : ns;
    bspec[field::kAzblob][field::kPrefix] =
        JoinPrefix(bspec, typed.br.cluster + "-pd." + cluster_ns + "-2379-" + NameTimestamp(now));
  }
  Json backup = {{"apiVersion", client::Backups().group_version()},
                 {"kind", "Backup"},
                 {"metadata", OwnedMetadata(schedule, backup_name)},
                 {"spec", bspec}};
  auto created = ctx_->client->Create(client::Backups(), ns, backup);
  if (!created.ok() && !created.status().IsAlreadyExists()) return created.status();
  client::RecordEvent(*ctx_->client, client::BackupSchedules(), schedule.object, "Normal",
                      "CreatedBackup", "created backup " + backup_name);
  BRIX_RETURN_IF_ERROR(WriteStatus(ctx_, schedule, [&](Json& st) {
    st[field::kLastBackup] = backup_name;
    st[field::kLastBackupTime] = FormatIso8601(now);
    st.erase(field::kAllBackupCleanTime);
  }));
  auto after = cron.Next(now);
  return Outcome::After(after ? std::chrono::duration_cast<Millis>(*after - now) + Millis(20)
                              : ctx_->options.resync);
}

std::optional<std::chrono::system_clock::time_point> NextBackupRun(
    const api::BackupSchedule& schedule, const api::CronSchedule& cron,
    std::chrono::system_clock::time_point now) {
  auto earliest = TimeOf(schedule.status.last_backup_time);
  if (!earliest) earliest = TimeOf(schedule.status.all_backup_clean_time);
  if (!earliest) earliest = ParseIso8601Utc(schedule.metadata.creation_timestamp);
  if (!earliest) earliest = now;
  return cron.Next(*earliest);
}

}  // namespace brix::controller
