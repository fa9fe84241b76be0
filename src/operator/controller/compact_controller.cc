// CompactBackup reconcile (docs/controllers.md, "CompactBackup"): validate, one job named like the
// CR whose backoffLimit is maxRetryTimes (the manager reports RetryFailed per failed attempt), then
// Complete or Failed from the job.
#include "common/timestamp.h"
#include "operator/api/backup_status.h"
#include "operator/api/go_time.h"
#include "operator/api/storage_spec.h"
#include "operator/controller/controllers.h"

namespace brix::controller {
namespace {

namespace cond = api::cond;
namespace field = api::field;

Status SetState(Context* ctx, const api::CompactBackup& cpbk, const std::string& state,
                const std::string& message) {
  bool changed = false;
  auto r = client::MutateStatus(
      *ctx->client, client::CompactBackups(), cpbk.metadata.ns, cpbk.metadata.name, [&](Json& o) {
        if (client::UidOf(o) != cpbk.metadata.uid) return false;
        Json& st = o[field::kStatus];
        if (st.is_null()) st = Json::object();
        changed = st.value(field::kState, "") != state ||
                  (!message.empty() && st.value(field::kMessage, "") != message);
        st[field::kState] = state;
        if (!message.empty()) st[field::kMessage] = message;
        return changed;
      });
  if (!r.ok()) return r.status();
  if (changed) {
    client::RecordEvent(*ctx->client, client::CompactBackups(), cpbk.object,
                        state == cond::kFailed ? "Warning" : "Normal", state,
                        message.empty() ? state : message);
  }
  return Status::OK();
}

std::string Invalid(const api::CompactBackup& cpbk) {
  const api::CompactSpec& spec = cpbk.spec;
  if (spec.start_ts.empty()) return "spec.startTs is required";
  if (spec.end_ts.empty()) return "spec.endTs is required";
  auto from = ParseTimestamp(spec.start_ts, api::field::SpecField(api::field::kStartTs));
  if (!from.ok()) return from.status().message();
  auto until = ParseTimestamp(spec.end_ts, api::field::SpecField(api::field::kEndTs));
  if (!until.ok()) return until.status().message();
  if (*until < *from) return "spec.endTs is before spec.startTs";
  if (spec.concurrency <= 0) return "spec.concurrency must be greater than 0";
  if (spec.max_retry_times < 0) return "spec.maxRetryTimes must not be negative";
  auto storage = api::StorageOf(spec.storage);
  if (!storage.ok()) return storage.status().message();
  return "";
}

}  // namespace

Result<Outcome> CompactController::Reconcile(const std::string& ns, const std::string& name) {
  auto got = ctx_->client->Get(client::CompactBackups(), ns, name);
  if (!got.ok()) return got.status().IsNotFound() ? Result<Outcome>(Outcome::Done()) : got.status();
  BRIX_ASSIGN_OR_RETURN(const api::CompactBackup cpbk, api::ParseCompactBackup(*got));
  const std::string& state = cpbk.status.state;
  if (state == cond::kComplete || state == cond::kFailed || cpbk.metadata.deleting) {
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
  auto pd = ClusterPd(*ctx_, ns, cpbk.spec.br);
  if (!pd.ok()) {
    BRIX_RETURN_IF_ERROR(SetState(ctx_, cpbk, cond::kRetryFailed, pd.status().message()));
    return Outcome::After(Millis(5000));
  }
  JobRequest r;
  r.name = name;
  r.component = "compactbackup";
  r.labels = {{"tidb.pingcap.com/compact", name}};
  r.args = {"compact", "--namespace", ns, "--name", name};
  r.secret_name = api::StorageOf(cpbk.spec.storage)->secret_name;
  r.env = {{"BRIX_CLUSTER_PD", *pd}};
  r.backoff_limit = cpbk.spec.max_retry_times;
  BRIX_RETURN_IF_ERROR(CreateJob(*ctx_, client::CompactBackups(), cpbk.object, r));
  BRIX_RETURN_IF_ERROR(SetState(ctx_, cpbk, cond::kPrepare, ""));
  return Outcome::Done();
}

}  // namespace brix::controller
