// The four controllers (docs/controllers.md, after TiDB Operator's backup controllers). Each
// reconciles one object by namespace and name; the ControllerManager calls them from its work
// queues.
#pragma once

#include <string>

#include "operator/api/cron.h"
#include "operator/api/types.h"
#include "operator/controller/context.h"

namespace brix::controller {

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual const api::ResourceInfo& info() const = 0;
  [[nodiscard]] virtual Result<Outcome> Reconcile(const std::string& ns,
                                                  const std::string& name) = 0;
};

// Backup: snapshot jobs with backoff retry, the log-backup state machine (start, pause,
// resume, stop, truncate; refusals), checkpoint tracking, cleanPolicy and its finalizer.
class BackupController final : public Reconciler {
 public:
  explicit BackupController(Context* ctx) : ctx_(ctx) {}
  const api::ResourceInfo& info() const override { return client::Backups(); }
  Result<Outcome> Reconcile(const std::string& ns, const std::string& name) override;

 private:
  Result<Outcome> Snapshot(const api::Backup& backup);
  // The log command's step, then the checkpoint of a Running task (on its own: whatever the
  // command does).
  Result<Outcome> Log(const api::Backup& backup);
  Result<Outcome> LogCommand(const api::Backup& backup);
  Result<Outcome> Delete(const api::Backup& backup);
  // Reads a Running task's checkpoint and flush errors into its status; returns `outcome`,
  // requeued no later than the checkpoint interval.
  Result<Outcome> TrackCheckpoint(const api::Backup& backup, Outcome outcome);
  Context* ctx_;
};

// Restore: one restore-<name> job, snapshot or PITR.
class RestoreController final : public Reconciler {
 public:
  explicit RestoreController(Context* ctx) : ctx_(ctx) {}
  const api::ResourceInfo& info() const override { return client::Restores(); }
  Result<Outcome> Reconcile(const std::string& ns, const std::string& name) override;

 private:
  Context* ctx_;
};

// CompactBackup: one job named like the CR, retried up to maxRetryTimes.
class CompactController final : public Reconciler {
 public:
  explicit CompactController(Context* ctx) : ctx_(ctx) {}
  const api::ResourceInfo& info() const override { return client::CompactBackups(); }
  Result<Outcome> Reconcile(const std::string& ns, const std::string& name) override;

 private:
  Context* ctx_;
};

// The schedule's next snapshot backup by its cron: the first tick after its last backup (or
// after all its backups were cleaned, or its creation, or `now`); nullopt when the cron has none.
// A time in the past means the backup is due. The schedule controller and the metrics use it.
std::optional<std::chrono::system_clock::time_point> NextBackupRun(
    const api::BackupSchedule& schedule, const api::CronSchedule& cron,
    std::chrono::system_clock::time_point now);

// BackupSchedule: cron, pause, retention, the integrated log backup and compactions.
class ScheduleController final : public Reconciler {
 public:
  explicit ScheduleController(Context* ctx) : ctx_(ctx) {}
  const api::ResourceInfo& info() const override { return client::BackupSchedules(); }
  Result<Outcome> Reconcile(const std::string& ns, const std::string& name) override;

 private:
  Result<Outcome> ReconcileOnce(const std::string& ns, const std::string& name,
                                std::optional<Millis>* again);
  Status CollectGarbage(const api::BackupSchedule& schedule);
  // Creates the next CompactBackup when due and records status.nextCompact; sets `again` when
  // it wants a look sooner than the cron's next tick.
  Status Compact(const api::BackupSchedule& schedule, std::optional<Millis>* again);
  Context* ctx_;
};

}  // namespace brix::controller
