// What every controller shares: the API client, the clusters brixd knows, and helpers to build
// and inspect the Jobs that do the work (docs/controllers.md, "The job runner").
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "br/engine.h"
#include "operator/api/types.h"
#include "operator/client/api_client.h"

namespace brix::controller {

using client::Json;
using Millis = std::chrono::milliseconds;

struct ControllerOptions {
  // "namespace/name" of a cluster (spec.br.cluster in spec.br.clusterNamespace or the CR's
  // namespace) -> its kvpd addresses "h:p[,h:p]".
  std::map<std::string, std::string> clusters;
  // The image of every Job's container ("" = jobs::kBrixImage, what brixd's runner runs);
  // a CR's spec.toolImage still overrides it. `brix operator --job-image`.
  std::string job_image;
  // Every object is reconciled at least this often (watches make most reconciles immediate).
  Millis resync{30'000};
  // How often a Running log backup's checkpoint and flush errors are read into its status
  // (status.logCheckpointTs, status.logFlushError).
  Millis checkpoint_interval{5'000};
  // Reads a log task's progress from the cluster at `pd`; unset = not tracked.
  std::function<Result<br::LogTaskStatus>(const std::string& pd, const std::string& task)>
      log_progress;
  // The clock (tests of the schedule logic move it).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

// The repeatable --cluster NAMESPACE/NAME=KVPD_ADDRESSES flag of brixd and `brix operator`, as
// ControllerOptions::clusters; InvalidArgument naming the bad value.
[[nodiscard]] Result<std::map<std::string, std::string>> ParseClusterFlags(
    const std::vector<std::string>& flags);

struct Context {
  client::ApiClient* client;
  ControllerOptions options;
};

// What a reconcile asks for: nothing more (watches and the resync bring it back), or another
// look after a delay. Errors are requeued with the queue's backoff.
struct Outcome {
  std::optional<Millis> requeue_after;
  static Outcome Done() { return {}; }
  static Outcome After(Millis d) { return {d}; }
};

// The kvpd addresses of the cluster `br` (a spec's br) names for a CR in namespace `object_ns`;
// NotFound saying how to register it.
[[nodiscard]] Result<std::string> ClusterPd(const Context& ctx, const std::string& object_ns,
                                            const api::BrConfig& br);

enum class JobPhase { kAbsent, kRunning, kComplete, kFailed };
struct JobState {
  JobPhase phase = JobPhase::kAbsent;
  Json job;
  std::string message;    // why it failed
  std::string owner_uid;  // its controller owner's uid: a CR deleted and applied again is new
};
[[nodiscard]] Result<JobState> GetJob(const Context& ctx, const std::string& ns,
                                      const std::string& name);

struct JobRequest {
  std::string name;
  // The Job's kind (api/job_kind.h) is derived from `args`: "backup ... --subcommand log-x"
  // is log-x, otherwise args[0] (backup, restore, compact, clean).
  std::string component;  // backup, clean, restore, compactbackup
  std::map<std::string, std::string> labels;
  std::vector<std::string> args;  // after "brix manager"
  std::string secret_name;        // its Azure keys become optional secretKeyRef env
  std::map<std::string, std::string> env;
  int backoff_limit = 0;
};
// Creates the Job, owned by `owner` (so it goes when the owner goes). AlreadyExists is success.
// The Job carries the kind annotation (api::kJobKindAnnotation) the job runner requires, and
// runs as the owner's spec.serviceAccount, or, when it names none, as the default account
// (api::kDefaultJobServiceAccount), which EnsureJobAccount creates first. The owner's pod fields
// (env, resources, tolerations, ...) go into the pod template (jobs/pod_template.h). With
// spec.encryption the master key comes from that Secret's BRIX_ENCRYPTION_KEY (not optional).
[[nodiscard]] Status CreateJob(const Context& ctx, const api::ResourceInfo& owner_info,
                               const Json& owner, const JobRequest& request);

// The kind annotation value of a Job running `brix manager <args>`.
std::string JobKindOf(const std::vector<std::string>& args);

// The rules of the default job Role: exactly what `brix manager` uses (manager/manager.cc):
// get its CR, update its CR's status (PUT .../status), create events.
Json JobRoleRules();
// Creates ServiceAccount, Role (JobRoleRules) and RoleBinding api::kDefaultJobServiceAccount in
// `ns` where they are absent. Existing ones are left as they are: whoever edited them owns them.
[[nodiscard]] Status EnsureJobAccount(const Context& ctx, const std::string& ns);

// On an object as stored (inside read-modify-writes; typed views carry ObjectMeta instead).
bool HasFinalizer(const Json& object, const std::string& finalizer);
bool BeingDeleted(const Json& object);

// Labels of jobs and schedule-made CRs (§4.1).
inline constexpr char kBackupProtection[] = "tidb.pingcap.com/backup-protection";
inline constexpr char kScheduleLabel[] = "tidb.pingcap.com/backup-schedule";

}  // namespace brix::controller
