// Restore reconcile (docs/controllers.md, "Restore"): validate, create restore-<name>, follow the
// job. The condition upsert always moves the phase for restores.
#include "operator/api/backup_status.h"
#include "operator/api/storage_spec.h"
#include "operator/controller/controllers.h"

namespace brix::controller {
namespace {

namespace cond = api::cond;

Status SetRestoreCondition(Context* ctx, const api::Restore& restore, const api::Condition& c) {
  bool changed = false;
  auto r = client::MutateStatus(*ctx->client, client::Restores(), restore.metadata.ns,
                                restore.metadata.name, [&](Json& o) {
                                  if (client::UidOf(o) != restore.metadata.uid) return false;
                                  changed = api::UpsertCondition(&o[api::field::kStatus], c);
                                  return changed;
                                });
  if (!r.ok()) return r.status();
  if (changed) {
    bool warn = c.type == cond::kFailed || c.type == cond::kInvalid || c.type == cond::kRetryFailed;
    client::RecordEvent(*ctx->client, client::Restores(), restore.object,
                        warn ? "Warning" : "Normal", c.reason.empty() ? c.type : c.reason,
                        c.message.empty() ? c.type : c.message);
  }
  return Status::OK();
}

std::string Invalid(const api::Restore& restore) {
  const api::RestoreSpec& spec = restore.spec;
  auto storage = api::StorageOf(spec.storage);
  if (!storage.ok()) return storage.status().message();
  if (spec.restore_mode == api::value::kPitr) {
    if (spec.pitr_restored_ts.empty()) return "restoreMode pitr needs spec.pitrRestoredTs";
    bool full =
        spec.pitr_full_backup_storage && api::StorageOf(*spec.pitr_full_backup_storage).ok();
    bool start = !spec.log_restore_start_ts.empty();
    if (full == start) {
      return "restoreMode pitr needs exactly one of spec.pitrFullBackupStorageProvider.azblob "
             "and spec.logRestoreStartTs";
    }
  }
  return "";
}

}  // namespace

Result<Outcome> RestoreController::Reconcile(const std::string& ns, const std::string& name) {
  auto got = ctx_->client->Get(client::Restores(), ns, name);
  if (!got.ok()) return got.status().IsNotFound() ? Result<Outcome>(Outcome::Done()) : got.status();
  BRIX_ASSIGN_OR_RETURN(const api::Restore restore, api::ParseRestore(*got));
  const std::string& phase = restore.status.phase;
  if (phase == cond::kComplete || phase == cond::kFailed || phase == cond::kInvalid ||
      restore.metadata.deleting) {
    return Outcome::Done();
  }
  if (std::string why = Invalid(restore); !why.empty()) {
    BRIX_RETURN_IF_ERROR(
        SetRestoreCondition(ctx_, restore, {cond::kInvalid, "True", "InvalidSpec", why}));
    return Outcome::Done();
  }
  std::string job_name = "restore-" + name;
  BRIX_ASSIGN_OR_RETURN(JobState job, GetJob(*ctx_, ns, job_name));
  if (job.phase == JobPhase::kFailed) {
    BRIX_RETURN_IF_ERROR(SetRestoreCondition(
        ctx_, restore,
        {cond::kFailed, "True", "AlreadyFailed",
         "reason Job " + job_name + " has failed, original reason " + job.message}));
    return Outcome::Done();
  }
  if (job.phase != JobPhase::kAbsent) return Outcome::Done();
  auto pd = ClusterPd(*ctx_, ns, restore.spec.br);
  if (!pd.ok()) {
    BRIX_RETURN_IF_ERROR(SetRestoreCondition(
        ctx_, restore, {cond::kRetryFailed, "True", "ClusterNotFound", pd.status().message()}));
    return Outcome::After(Millis(5000));
  }
  JobRequest r;
  r.name = job_name;
  r.component = "restore";
  r.labels = {{"tidb.pingcap.com/restore", name}};
  r.args = {"restore", "--namespace", ns, "--name", name};
  r.secret_name = api::StorageOf(restore.spec.storage)->secret_name;
  r.env = {{"BRIX_CLUSTER_PD", *pd}};
  r.backoff_limit = restore.spec.backoff_limit;
  BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Restores(), restore.object, r));
  BRIX_RETURN_IF_ERROR(SetRestoreCondition(
      ctx_, restore, {cond::kScheduled, "True", "", "job " + job_name + " created"}));
  return Outcome::Done();
}

}  // namespace brix::controller
