#include "br/log/log_task.h"

#include <functional>
#include <thread>

#include "br/location.h"
#include "br/log/log_files.h"
#include "br/meta_seal.h"
#include "br/proto/log.pb.h"
#include "br/storage_target.h"
#include "cluster/client/log_task_client.h"
#include "cluster/client/pd_client.h"
#include "cluster/safepoints.h"
#include "common/backoff.h"
#include "common/redact.h"
#include "common/sealed_box.h"
#include "common/table_filter.h"
#include "common/time_util.h"
#include "common/tso.h"
#include "storage/encryption_keys.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

struct Found {
  LogTask task;
  cluster::LogTaskGetResponse raw;
};

Result<Found> GetTask(cluster::PdClient& pd, const std::string& name) {
  Found f;
  BRIX_ASSIGN_OR_RETURN(f.raw, cluster::LogTaskClient(pd).Get(name));
  if (!f.raw.found())
    return Status::NotFound("--task-name: no log backup task named '" + name + "'");
  if (!f.task.ParseFromString(f.raw.definition())) {
    return Status::Corruption("log task '" + name + "' definition does not parse");
  }
  return f;
}

// The forwarded credentials of `target` go to kvpd apart from the definition (kvpd seals them:
// cluster/log_task_credentials.h); the definition keeps only where the storage is.
cluster::LogTaskCredentials SplitCredentials(StorageTarget* target) {
  cluster::LogTaskCredentials env(target->env().begin(), target->env().end());
  target->clear_env();
  return env;
}

Status CreateTask(cluster::PdClient& pd, LogTask task) {
  cluster::LogTaskCredentials credentials = SplitCredentials(task.mutable_storage());
  return cluster::LogTaskClient(pd).Create(task.name(), task.SerializeAsString(), credentials);
}

// How a state change also changes the task's service safepoint (in the same atomic step).
struct Change {
  LogTask::State state;
  uint64_t safepoint_ts = 0;  // set for `safepoint_ttl` (stop removes it instead)
};

// Read-modify-write of the task by compare-and-swap: `decide` looks at the task as it is now and
// returns the change, or refuses. A concurrent change makes the write fail; then the task is
// read again and `decide` asked again, so no change ever overwrites another.
Status ChangeTask(cluster::PdClient& pd, const std::string& name,
                  const std::function<Result<Change>(const Found&)>& decide);

const char* StateName(LogTask::State s) {
  switch (s) {
    case LogTask::RUNNING:
      return "running";
    case LogTask::PAUSED:
      return "paused";
    case LogTask::STOPPED:
      return "stopped";
    default:
      return "unknown";
  }
}

uint64_t Checkpoint(const Found& f) {
  return std::max(f.task.start_ts(), f.raw.global_checkpoint());
}

Status ChangeTask(cluster::PdClient& pd, const std::string& name,
                  const std::function<Result<Change>(const Found&)>& decide) {
  Backoff backoff(BackoffOptions{.max_attempts = 20,
                                 .base_delay = std::chrono::milliseconds(20),
                                 .max_delay = std::chrono::milliseconds(500)});
  for (int attempt = 1;; ++attempt) {
    BRIX_ASSIGN_OR_RETURN(Found f, GetTask(pd, name));
    BRIX_ASSIGN_OR_RETURN(Change change, decide(f));
    LogTask task = f.task;
    task.set_state(change.state);
    cluster::LogTaskUpdate update;
    update.name = name;
    update.definition = task.SerializeAsString();
    update.expected_revision = f.raw.revision();
    update.stopped = change.state == LogTask::STOPPED;
    update.service_safepoint = cluster::LogTaskSafePointName(name);
    update.safepoint_ts = change.safepoint_ts;
    update.safepoint_ttl =
        change.state == LogTask::STOPPED ? std::chrono::seconds(0) : cluster::kLogSafePointTtl;
    Status s = cluster::LogTaskClient(pd).Update(update);
    if (s.code() != Status::Code::kAborted || !backoff.ShouldRetry(attempt)) return s;
    std::this_thread::sleep_for(backoff.DelayAfter(attempt));  // lost a race: look again
  }
}

}  // namespace

Result<uint64_t> StartLogTask(const LogStartOptions& o) {
  if (o.task_name.empty()) return Status::InvalidArgument("--task-name is required");
  // It names a folder on every node (and keys in kvpd, which checks it too).
  BRIX_RETURN_IF_ERROR(CheckPathComponent("--task-name", o.task_name));
  BRIX_ASSIGN_OR_RETURN(TableFilter filter_check, TableFilter::Parse(o.filter));
  (void)filter_check;
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(o.pd));
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(o.storage_url, o.env));
  auto existing = GetTask(*pd, o.task_name);
  if (existing.ok() && existing->task.state() != LogTask::STOPPED) {
    return Status::AlreadyExists("--task-name: log backup task '" + o.task_name + "' is " +
                                 StateName(existing->task.state()) +
                                 " already; stop it first or pick another name");
  }
  if (!existing.ok() && !existing.status().IsNotFound()) return existing.status();
  auto location = ReadLogLocation(*storage);
  if (location.ok()) {
    return Status::AlreadyExists(
        "--storage: " + storage->Describe() + " already holds the log backup of task '" +
        location->task() +
        "' (a stopped task cannot be restarted there); use a new prefix for a new task");
  }
  if (!location.status().IsNotFound()) return location.status();
  BRIX_RETURN_IF_ERROR(CheckLocationIsFree(o.storage_url, o.env, LocationKind::kLog));

  BRIX_ASSIGN_OR_RETURN(uint64_t cluster_id, pd->GetClusterId());
  uint64_t start = o.start_ts;
  if (start == 0) {
    BRIX_ASSIGN_OR_RETURN(start, pd->GetTs());
  }
  // Protect first, then check that GC has not passed the start already.
  BRIX_RETURN_IF_ERROR(pd->UpdateServiceSafePoint(cluster::LogTaskSafePointName(o.task_name),
                                                  start - 1, cluster::kLogSafePointTtl.count())
                           .status());
  BRIX_ASSIGN_OR_RETURN(uint64_t gc, pd->GetGcSafePoint());
  if (gc > start - 1) {
    pd->UpdateServiceSafePoint(cluster::LogTaskSafePointName(o.task_name), 0, 0)
        .status()
        .IgnoreError();
    return Status::FailedPrecondition("--start-ts " + std::to_string(start) +
                                      " is older than the GC safepoint " + std::to_string(gc));
  }
  LogLocation loc;
  loc.set_task(o.task_name);
  loc.set_start_ts(start);
  for (const auto& f : o.filter) loc.add_filter(f);
  loc.set_cluster_id(cluster_id);
  BRIX_RETURN_IF_ERROR(PutMeta(*storage, kMetaLogLocation, kLogLocationName, loc,
                               storage::PutOptions{.if_absent = true}));
  // Owned from here. A run that checked a parent or child location at the same moment may have
  // found it free too: check again, and back out if so.
  if (Status free = CheckLocationIsFree(o.storage_url, o.env, LocationKind::kLog); !free.ok()) {
    storage->Delete(kLogLocationName).IgnoreError();
    pd->UpdateServiceSafePoint(cluster::LogTaskSafePointName(o.task_name), 0, 0)
        .status()
        .IgnoreError();
    return free;
  }
  LogTask task;
  task.set_name(o.task_name);
  BRIX_ASSIGN_OR_RETURN(*task.mutable_storage(),
                        MakeStorageTarget(o.storage_url, o.send_credentials, o.env));
  // Secrets in the URL's query go sealed with the other credentials, never in the definition.
  std::map<std::string, std::string> url_secrets;
  BRIX_ASSIGN_OR_RETURN(std::string bare, MoveUrlSecrets(o.storage_url, &url_secrets));
  task.mutable_storage()->set_url(bare);
  for (auto& [k, v] : url_secrets) (*task.mutable_storage()->mutable_env())[k] = v;
  task.set_start_ts(start);
  for (const auto& f : o.filter) task.add_filter(f);
  task.set_state(LogTask::RUNNING);
  task.set_created_unix_ms(UnixMillis());
  task.set_cluster_id(cluster_id);
  if (existing.ok()) {
    // Replacing a stopped task of the same name: its checkpoints belong to the old one.
    BRIX_RETURN_IF_ERROR(cluster::LogTaskClient(*pd).Delete(o.task_name));
  }
  if (Status created = CreateTask(*pd, task); !created.ok()) {
    // Not registered (e.g. kvpd has no credential key): the location is free again.
    storage->Delete(kLogLocationName).IgnoreError();
    pd->UpdateServiceSafePoint(cluster::LogTaskSafePointName(o.task_name), 0, 0)
        .status()
        .IgnoreError();
    return created;
  }
  return start;
}

Status UpdateLogTaskCredentials(const LogCredentialsOptions& o) {
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(o.pd));
  Backoff backoff(BackoffOptions{.max_attempts = 20,
                                 .base_delay = std::chrono::milliseconds(20),
                                 .max_delay = std::chrono::milliseconds(500)});
  for (int attempt = 1;; ++attempt) {
    BRIX_ASSIGN_OR_RETURN(Found f, GetTask(*pd, o.task_name));
    if (f.task.state() == LogTask::STOPPED) {
      return Status::FailedPrecondition("log backup task '" + o.task_name +
                                        "' is stopped; its credentials are no longer used");
    }
    const std::string& url = f.task.storage().url();
    // Encryption is fixed for a task's life: on without a key the nodes would lose it, off
    // to on would mix plaintext and ciphertext in one location.
    BRIX_ASSIGN_OR_RETURN(storage::EncryptionSettings encryption,
                          storage::EncryptionFromEnv(o.env));
    if (f.task.storage().encrypted() != encryption.enabled) {
      return Status::FailedPrecondition(
          "log backup task '" + o.task_name + "' writes " +
          (f.task.storage().encrypted()
               ? "encrypted: give the master key too (--crypter.key-file or BRIX_ENCRYPTION_KEY)"
               : "plaintext: encryption cannot be turned on for a running task") +
          "; nothing changed");
    }
    BRIX_ASSIGN_OR_RETURN(StorageTarget fresh, MakeStorageTarget(url, true, o.env));
    if (fresh.env().empty()) {
      return Status::InvalidArgument(
          "no storage credentials in the environment (AZURE_STORAGE_SAS_TOKEN, "
          "AZURE_STORAGE_KEY, AZURE_STORAGE_CONNECTION_STRING or AZURE_CLIENT_SECRET, as for "
          "`brix log start`)");
    }
    // The new credentials must reach the task's location before the nodes are given them.
    auto storage = storage::OpenStorage(url, o.env);
    Result<LogLocation> location =
        storage.ok() ? ReadLogLocation(**storage) : Result<LogLocation>(storage.status());
    if (!location.ok()) {
      return location.status().WithContext("the new credentials cannot read " + RedactUrl(url) +
                                           "/v1/task; nothing changed");
    }
    if (location->task() != o.task_name) {
      return Status::FailedPrecondition(RedactUrl(url) + " belongs to task '" + location->task() +
                                        "', not '" + o.task_name + "'; nothing changed");
    }
    LogTask task = f.task;
    cluster::LogTaskUpdate update;
    update.name = o.task_name;
    // Drops any an older brix kept in clear from the definition.
    update.credentials = SplitCredentials(task.mutable_storage());
    update.credentials->insert(fresh.env().begin(), fresh.env().end());
    update.definition = task.SerializeAsString();
    update.expected_revision = f.raw.revision();
    Status s = cluster::LogTaskClient(*pd).Update(update);
    if (s.code() != Status::Code::kAborted || !backoff.ShouldRetry(attempt)) return s;
    std::this_thread::sleep_for(backoff.DelayAfter(attempt));  // lost a race: look again
  }
}

Result<LogTaskStatus> GetLogTaskStatus(const std::string& pd_addr, const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(pd_addr));
  return GetLogTaskStatus(*pd, name);
}

Result<LogTaskStatus> GetLogTaskStatus(cluster::PdClient& pd, const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(Found f, GetTask(pd, name));
  LogTaskStatus st;
  st.name = name;
  st.state = StateName(f.task.state());
  st.start_ts = f.task.start_ts();
  st.checkpoint_ts = Checkpoint(f);
  st.storage = RedactUrl(f.task.storage().url());
  for (const auto& [store, ts] : f.raw.store_checkpoints()) st.store_checkpoints[store] = ts;
  for (const auto& [store, err] : f.raw.store_errors()) {
    if (!err.empty()) st.store_errors[store] = err;
  }
  if (f.task.state() == LogTask::RUNNING && !st.store_errors.empty()) st.state = "error";
  double now_ms = static_cast<double>(UnixMillis());
  st.checkpoint_lag_seconds =
      std::max(0.0, (now_ms - static_cast<double>(TsPhysicalMs(st.checkpoint_ts))) / 1000.0);
  return st;
}

Status PauseLogTask(const std::string& pd_addr, const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(pd_addr));
  return ChangeTask(*pd, name, [&](const Found& f) -> Result<Change> {
    if (f.task.state() != LogTask::RUNNING) {
      return Status::FailedPrecondition("log backup task '" + name + "' is " +
                                        StateName(f.task.state()) +
                                        "; only a running task can be paused");
    }
    // The versions after the checkpoint must survive the pause: hold them for a day.
    return Change{LogTask::PAUSED, Checkpoint(f) - 1};
  });
}

Status ResumeLogTask(const std::string& pd_addr, const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(pd_addr));
  return ChangeTask(*pd, name, [&](const Found& f) -> Result<Change> {
    if (f.task.state() != LogTask::PAUSED) {
      std::string why = f.task.state() == LogTask::STOPPED
                            ? "; a stopped task is final and cannot be resumed"
                            : "; only a paused task can be resumed";
      return Status::FailedPrecondition("log backup task '" + name + "' is " +
                                        StateName(f.task.state()) + why);
    }
    BRIX_ASSIGN_OR_RETURN(uint64_t gc, pd->GetGcSafePoint());
    if (gc >= Checkpoint(f)) {
      return Status::FailedPrecondition("cannot resume '" + name + "': its checkpoint " +
                                        std::to_string(Checkpoint(f)) +
                                        " is below the GC safepoint " + std::to_string(gc) +
                                        " (paused for too long); stop it and start a new task");
    }
    // Protected again before resume returns (the pause's safepoint may have expired), not only
    // once the nodes flush.
    return Change{LogTask::RUNNING, Checkpoint(f) - 1};
  });
}

Status StopLogTask(const std::string& pd_addr, const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(pd_addr));
  // Stopping also removes the service safepoint; kvpd then refuses late checkpoints of the task.
  return ChangeTask(*pd, name, [&](const Found& f) -> Result<Change> {
    if (f.task.state() == LogTask::STOPPED) {
      return Status::FailedPrecondition("log backup task '" + name + "' is stopped already");
    }
    return Change{LogTask::STOPPED};
  });
}

}  // namespace brix::br
