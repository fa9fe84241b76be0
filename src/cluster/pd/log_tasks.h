// LogTasks: kvpd's log-backup task registry (cluster.proto LogTask* RPCs; the client side is
// cluster/client/log_task_client.h). Definitions are opaque here; per-store checkpoints are
// kept in memory and in etcd, the global checkpoint is their minimum over the registered stores
// (0 while one has none). Keys: cluster/pd/etcd_layout.h (/brix/pd/logtask/...).
//
// Every change that must not be lost to a concurrent one is one guarded etcd transaction, and
// the task's service safepoint changes in the same transaction (GcSafePoints::Txn).
//
// Locking: one mutex (mu_) guards the checkpoints and flush errors, and is held across the etcd
// transactions of Put and Checkpoint. Those take GcSafePoints' lock (through a Txn) inside
// theirs: the lock order is LogTasks → GcSafePoints. The store list is read from Placement
// before mu_ is taken, never under it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/proto/cluster.pb.h"
#include "common/result.h"

namespace brix::etcd {
class EtcdClient;
}

namespace brix::cluster {

class GcSafePoints;

class LogTasks {
 public:
  // `credential_key`: the cluster credential key (empty = none: forwarded credentials refused).
  LogTasks(etcd::EtcdClient* etcd, GcSafePoints* safepoints, std::string credential_key)
      : etcd_(etcd), safepoints_(safepoints), credential_key_(std::move(credential_key)) {}

  // Reloads the checkpoints (Corruption for a checkpoint that does not parse).
  [[nodiscard]] Status Load();

  // The contracts of the RPCs of the same names (cluster.proto). Errors: InvalidArgument for a
  // bad name, AlreadyExists (create_only), Aborted (lost compare-and-swap), FailedPrecondition
  // (safepoint below GC, no credential key, task stopped or re-created).
  [[nodiscard]] Status Put(const LogTaskPutRequest& req);
  [[nodiscard]] Status Get(const LogTaskGetRequest& req, const std::vector<uint64_t>& stores,
                           LogTaskGetResponse* resp);
  [[nodiscard]] Status List(LogTaskListResponse* resp);
  [[nodiscard]] Status Delete(const std::string& name);
  [[nodiscard]] Status Checkpoint(const LogCheckpointRequest& req,
                                  const std::vector<uint64_t>& stores, LogCheckpointResponse* resp);

  // For metrics (cluster/pd/pd_metrics.cc): each task's global checkpoint over `stores` and its
  // stores' own checkpoints.
  struct CheckpointSnapshot {
    uint64_t global = 0;
    std::map<uint64_t, uint64_t> stores;
  };
  std::map<std::string, CheckpointSnapshot> Checkpoints(const std::vector<uint64_t>& stores);

 private:
  // Requires mu_.
  uint64_t GlobalCheckpointLocked(const std::string& task, const std::vector<uint64_t>& stores);

  etcd::EtcdClient* const etcd_;
  GcSafePoints* const safepoints_;
  const std::string credential_key_;

  std::mutex mu_;
  std::map<std::string, std::map<uint64_t, uint64_t>> checkpoints_;  // task → store → ts
  std::map<std::string, std::map<uint64_t, std::string>> errors_;    // task → store → error
};

}  // namespace brix::cluster
