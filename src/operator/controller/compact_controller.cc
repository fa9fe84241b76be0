// CompactBackup reconcile (docs/controllers.md, "CompactBackup"): validate, one job named like the
// CR whose backoffLimit is maxRetryTimes (the manager reports RetryFailed per failed attempt), then
// Complete or Failed from the job.
#include "operator/api/backup_status.h"
#include "operator/api/go_time.h"
#include "operator/api/storage_spec.h"
#include "operator/controller/controllers.h"

namespace brix::controller {
namespace {

namespace cond = api::cond;

Status SetState(Context* ctx, const Json& cpbk, const std::string& state,
                const std::string& message) {
  bool changed = false;
  auto r = client::MutateStatus(*ctx->client, client::CompactBackups(), client::NamespaceOf(cpbk),
                                client::NameOf(cpbk), [&](Json& o) {
                                  if (client::UidOf(o) != client::UidOf(cpbk)) return false;
                                  Json& st = o["status"];
                                  if (st.is_null()) st = Json::object();
                                  changed =
                                      st.value("state", "") != state ||
                                      (!message.empty() && st.value("message", "") != message);
                                  st["state"] = state;
                                  if (!message.empty()) st["message"] = message;
                                  return changed;
                                });
  if (!r.ok()) return r.status();
  if (changed) {
    client::RecordEvent(*ctx->client, client::CompactBackups(), cpbk,
                        state == cond::kFailed ? "Warning" : "Normal", state,
                        message.empty() ? state : message);
  }
  return Status::OK();
}

std::string Invalid(const Json& cpbk) {
  const Json& spec = cpbk["spec"];
  if (spec.value("startTs", "").empty()) return "spec.startTs is required";
  if (spec.value("endTs", "").empty()) return "spec.endTs is required";
  auto from = api::ParseTsString(spec.value("startTs", ""));
  auto until = api::ParseTsString(spec.value("endTs", ""));
  if (!from.ok() || !until.ok()) return "spec.startTs and spec.endTs must be TSOs or times";
  if (*until < *from) return "spec.endTs is before spec.startTs";
  if (spec.value("concurrency", 4) <= 0) return "spec.concurrency must be greater than 0";
  if (spec.value("maxRetryTimes", 6) < 0) return "spec.maxRetryTimes must not be negative";
  auto storage = api::StorageOf(spec);
  if (!storage.ok()) return storage.status().message();
  return "";
}

}  // namespace

Result<Outcome> CompactController::Reconcile(const std::string& ns, const std::string& name) {
  auto got = ctx_->client->Get(client::CompactBackups(), ns, name);
  if (!got.ok()) return got.status().IsNotFound() ? Result<Outcome>(Outcome::Done()) : got.status();
  const Json& cpbk = *got;
  std::string state = StatusField(cpbk, "state");
  if (state == cond::kComplete || state == cond::kFailed || BeingDeleted(cpbk)) {
    return Outcome::Done();
  }
  if (state.empty()) {
    std::string why = Invalid(cpbk);
    BRIX_RETURN_IF_ERROR(SetState(ctx_, cpbk, why.empty() ? cond::kScheduled : cond::kFailed, why));
    return why.empty() ? Outcome::After(Millis(10)) : Outcome::Done();
  }
  BRIX_ASSIGN_OR_RETURN(JobState job, GetJob(*ctx_, ns, name));
  if (job.phase == JobPhase::kFailed) {
    BRIX_RETURN_IF_ERROR(SetState(ctx_, cpbk, cond::kFailed, job.message));
    return Outcome::Done();
  }
  if (job.phase == JobPhase::kComplete) {
    BRIX_RETURN_IF_ERROR(SetState(ctx_, cpbk, cond::kComplete, ""));
    return Outcome::Done();
  }
  if (job.phase == JobPhase::kRunning) return Outcome::Done();
  auto pd = ClusterPd(*ctx_, cpbk, cpbk["spec"]);
  if (!pd.ok()) {
    BRIX_RETURN_IF_ERROR(SetState(ctx_, cpbk, cond::kRetryFailed, pd.status().message()));
    return Outcome::After(Millis(5000));
  }
  JobRequest r;
  r.name = name;
  r.component = "compactbackup";
  r.labels = {{"tidb.pingcap.com/compact", name}};
  r.args = {"compact", "--namespace", ns, "--name", name};
  r.secret_name = api::StorageOf(cpbk["spec"])->secret_name;
  r.env = {{"BRIX_CLUSTER_PD", *pd}};
  r.backoff_limit = cpbk["spec"].value("maxRetryTimes", 6);
  BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::CompactBackups(), cpbk, r));
  BRIX_RETURN_IF_ERROR(SetState(ctx_, cpbk, cond::kPrepare, ""));
  return Outcome::Done();
}

}  // namespace brix::controller
