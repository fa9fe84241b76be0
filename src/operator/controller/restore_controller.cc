// Restore reconcile (docs/controllers.md, "Restore"): validate, create restore-<name>, follow the
// job. The condition upsert always moves the phase for restores.
#include "operator/api/backup_status.h"
#include "operator/api/storage_spec.h"
#include "operator/controller/controllers.h"

namespace brix::controller {
namespace {

namespace cond = api::cond;

Status SetRestoreCondition(Context* ctx, const Json& restore, const api::Condition& c) {
  bool changed = false;
  auto r = client::MutateStatus(*ctx->client, client::Restores(), client::NamespaceOf(restore),
                                client::NameOf(restore), [&](Json& o) {
                                  if (client::UidOf(o) != client::UidOf(restore)) return false;
                                  changed = api::UpsertCondition(&o["status"], c);
                                  return changed;
                                });
  if (!r.ok()) return r.status();
  if (changed) {
    bool warn = c.type == cond::kFailed || c.type == cond::kInvalid || c.type == cond::kRetryFailed;
    client::RecordEvent(*ctx->client, client::Restores(), restore, warn ? "Warning" : "Normal",
                        c.reason.empty() ? c.type : c.reason,
                        c.message.empty() ? c.type : c.message);
  }
  return Status::OK();
}

std::string Invalid(const Json& restore) {
  const Json& spec = restore["spec"];
  auto storage = api::StorageOf(spec);
  if (!storage.ok()) return storage.status().message();
  if (spec.value("restoreMode", "snapshot") == "pitr") {
    if (spec.value("pitrRestoredTs", "").empty())
      return "restoreMode pitr needs spec.pitrRestoredTs";
    bool full = spec.contains("pitrFullBackupStorageProvider") &&
                api::StorageOf(spec["pitrFullBackupStorageProvider"]).ok();
    bool start = !spec.value("logRestoreStartTs", "").empty();
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
  const Json& restore = *got;
  std::string phase = api::Phase(restore);
  if (phase == cond::kComplete || phase == cond::kFailed || phase == cond::kInvalid ||
      BeingDeleted(restore)) {
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
  auto pd = ClusterPd(*ctx_, restore, restore["spec"]);
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
  r.secret_name = api::StorageOf(restore["spec"])->secret_name;
  r.env = {{"BRIX_CLUSTER_PD", *pd}};
  r.backoff_limit = restore["spec"].value("backoffLimit", 0);
  BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::Restores(), restore, r));
  BRIX_RETURN_IF_ERROR(SetRestoreCondition(
      ctx_, restore, {cond::kScheduled, "True", "", "job " + job_name + " created"}));
  return Outcome::Done();
}

}  // namespace brix::controller
