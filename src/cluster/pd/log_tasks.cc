#include "cluster/pd/log_tasks.h"

#include <algorithm>
#include <optional>

#include "cluster/log_task_credentials.h"
#include "cluster/pd/etcd_layout.h"
#include "cluster/pd/gc_safepoints.h"
#include "common/sealed_box.h"
#include "etcd/etcd_client.h"

namespace brix::cluster {
namespace {

namespace layout = pd_layout;
using Puts = GcSafePoints::Puts;
using Deletes = GcSafePoints::Deletes;

Status CheckTaskName(const std::string& name) { return CheckPathComponent("log task name", name); }

// The credentials' part of a put: sealed, or removed (an empty env).
Status AddCredentials(const std::string& key, const LogTaskPutRequest& req, Puts* puts,
                      Deletes* deletes) {
  if (!req.has_credentials()) return Status::OK();
  if (req.credentials().env().empty()) {
    deletes->push_back(layout::LogTaskKey(req.name(), "cred"));
    return Status::OK();
  }
  BRIX_ASSIGN_OR_RETURN(std::string sealed,
                        SealLogTaskCredentials(key, req.name(), req.credentials()));
  puts->push_back({layout::LogTaskKey(req.name(), "cred"), std::move(sealed)});
  return Status::OK();
}

}  // namespace

Status LogTasks::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  checkpoints_.clear();
  BRIX_ASSIGN_OR_RETURN(auto tasks, etcd_->GetPrefix(layout::kLogTaskPrefix));
  for (const auto& kv : tasks.kvs) {
    auto parts = layout::ParseLogCheckpointKey(kv.key);
    if (parts.status().IsNotFound()) continue;  // def, cred, stopped
    if (!parts.ok()) return parts.status();
    BRIX_ASSIGN_OR_RETURN(uint64_t ts, layout::ParseU64(kv.key, kv.value));
    checkpoints_[parts->task][parts->store_id] = ts;
  }
  return Status::OK();
}

std::map<std::string, LogTasks::CheckpointSnapshot> LogTasks::Checkpoints(
    const std::vector<uint64_t>& stores) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, CheckpointSnapshot> out;
  for (const auto& [task, ckpts] : checkpoints_) {
    out[task] = CheckpointSnapshot{GlobalCheckpointLocked(task, stores), ckpts};
  }
  return out;
}

uint64_t LogTasks::GlobalCheckpointLocked(const std::string& task,
                                          const std::vector<uint64_t>& stores) {
  const auto& ckpts = checkpoints_[task];
  uint64_t global = 0;
  bool first = true;
  for (uint64_t id : stores) {
    auto it = ckpts.find(id);
    uint64_t ts = it == ckpts.end() ? 0 : it->second;
    global = first ? ts : std::min(global, ts);
    first = false;
  }
  return global;
}

Status LogTasks::Put(const LogTaskPutRequest& req) {
  BRIX_RETURN_IF_ERROR(CheckTaskName(req.name()));
  std::lock_guard<std::mutex> lock(mu_);
  std::string key = layout::LogTaskKey(req.name(), "def");
  Puts puts = {{key, req.definition()}};
  Deletes deletes;
  BRIX_RETURN_IF_ERROR(AddCredentials(credential_key_, req, &puts, &deletes));
  if (req.create_only()) {
    Status s = etcd_->CommitIf({{key, 0}}, puts, deletes).status();
    if (s.code() == Status::Code::kFailedPrecondition) {
      return Status::AlreadyExists("log task '" + req.name() + "' exists");
    }
    return s;
  }
  std::vector<etcd::EtcdClient::Guard> guards;
  if (req.expected_revision() > 0) guards.push_back({key, req.expected_revision()});
  if (req.stopped()) {
    puts.push_back({layout::LogTaskKey(req.name(), "stopped"), "1"});
    // A final task uploads nothing more: its credentials go.
    if (!req.has_credentials()) deletes.push_back(layout::LogTaskKey(req.name(), "cred"));
  }
  GcSafePoints::Txn sp = safepoints_->Begin();
  const std::string& sp_name = req.service_safepoint();
  if (!sp_name.empty()) {
    if (req.stopped() || req.safepoint_ttl_seconds() <= 0) {
      sp.Remove(sp_name, &deletes);
    } else {
      BRIX_RETURN_IF_ERROR(sp.CheckNotBelowGc(req.safepoint_ts()));
      sp.Set(sp_name, req.safepoint_ts(), req.safepoint_ttl_seconds(), &puts);
    }
  }
  auto rev = etcd_->CommitIf(guards, puts, deletes);
  if (!rev.ok()) {
    if (rev.status().code() == Status::Code::kFailedPrecondition) {
      return Status::Aborted("log task '" + req.name() + "' changed since revision " +
                             std::to_string(req.expected_revision()) + "; read it again");
    }
    return rev.status();
  }
  sp.Committed();
  return Status::OK();
}

Status LogTasks::Get(const LogTaskGetRequest& req, const std::vector<uint64_t>& stores,
                     LogTaskGetResponse* resp) {
  BRIX_RETURN_IF_ERROR(CheckTaskName(req.name()));
  // One read of the task's keys: the definition and its credentials as of the same revision.
  BRIX_ASSIGN_OR_RETURN(auto all, etcd_->GetPrefix(layout::LogTaskKey(req.name(), "")));
  const etcd::KeyValue* def = nullptr;
  for (const auto& kv : all.kvs) {
    if (kv.key == layout::LogTaskKey(req.name(), "def")) def = &kv;
    if (kv.key == layout::LogTaskKey(req.name(), "cred") && req.with_sealed_credentials()) {
      resp->set_sealed_credentials(kv.value);
    }
  }
  if (!def) {
    resp->clear_sealed_credentials();
    return Status::OK();
  }
  resp->set_found(true);
  resp->set_definition(def->value);
  resp->set_revision(def->mod_revision);
  resp->set_create_revision(def->create_revision);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [store, ts] : checkpoints_[req.name()]) {
    (*resp->mutable_store_checkpoints())[store] = ts;
  }
  for (const auto& [store, err] : errors_[req.name()]) {
    (*resp->mutable_store_errors())[store] = err;
  }
  resp->set_global_checkpoint(GlobalCheckpointLocked(req.name(), stores));
  return Status::OK();
}

Status LogTasks::List(LogTaskListResponse* resp) {
  BRIX_ASSIGN_OR_RETURN(auto all, etcd_->GetPrefix(layout::kLogTaskPrefix));
  for (const auto& kv : all.kvs) {
    std::string rest = kv.key.substr(layout::kLogTaskPrefix.size());
    if (rest.size() > 4 && rest.compare(rest.size() - 4, 4, "/def") == 0) {
      resp->add_names(rest.substr(0, rest.size() - 4));
    }
  }
  return Status::OK();
}

Status LogTasks::Delete(const std::string& name) {
  BRIX_RETURN_IF_ERROR(CheckTaskName(name));
  std::lock_guard<std::mutex> lock(mu_);
  checkpoints_.erase(name);
  errors_.erase(name);
  return etcd_->DeletePrefix(layout::LogTaskKey(name, "")).status();
}

Status LogTasks::Checkpoint(const LogCheckpointRequest& req, const std::vector<uint64_t>& stores,
                            LogCheckpointResponse* resp) {
  BRIX_RETURN_IF_ERROR(CheckTaskName(req.name()));
  std::lock_guard<std::mutex> lock(mu_);
  errors_[req.name()][req.store_id()] = req.error();
  auto& ckpts = checkpoints_[req.name()];
  const uint64_t before = ckpts.count(req.store_id()) ? ckpts[req.store_id()] : 0;
  const bool advance = req.checkpoint() > before;  // checkpoints only move forward
  if (advance) ckpts[req.store_id()] = req.checkpoint();
  const uint64_t global = GlobalCheckpointLocked(req.name(), stores);
  Puts puts;
  if (advance) {
    puts.push_back(
        {layout::LogCheckpointKey(req.name(), req.store_id()), std::to_string(req.checkpoint())});
  }
  GcSafePoints::Txn sp = safepoints_->Begin();
  const std::string& sp_name = req.service_safepoint();
  if (!sp_name.empty() && req.safepoint_ttl_seconds() > 0 && global > 0 &&
      global - 1 >= sp.gc_safepoint()) {
    sp.Set(sp_name, global - 1, req.safepoint_ttl_seconds(), &puts);
  }
  if (!puts.empty()) {
    // Only while the task lives: a late report after stop (or after the name was reused)
    // must not bring back its checkpoints or its safepoint.
    std::vector<etcd::EtcdClient::Guard> guards = {{layout::LogTaskKey(req.name(), "stopped"), 0}};
    if (req.task_create_revision() > 0) {
      guards.push_back({layout::LogTaskKey(req.name(), "def"), req.task_create_revision(), true});
    }
    auto rev = etcd_->CommitIf(guards, puts);
    if (!rev.ok()) {
      if (advance) {
        if (before == 0) {
          ckpts.erase(req.store_id());
        } else {
          ckpts[req.store_id()] = before;
        }
      }
      if (rev.status().code() == Status::Code::kFailedPrecondition) {
        return Status::FailedPrecondition("log task '" + req.name() +
                                          "' is stopped or was re-created; checkpoint not taken");
      }
      return rev.status();
    }
    sp.Committed();
  }
  resp->set_global_checkpoint(global);
  return Status::OK();
}

}  // namespace brix::cluster
