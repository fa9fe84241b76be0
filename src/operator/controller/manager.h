// ControllerManager: runs the four controllers inside brixd (docs/architecture.md#control-plane).
// Each kind has a work queue (rate-limited requeue on errors, 100 ms doubling to 100 s) and a
// worker thread; watches on the kind and on Jobs (mapped to their owner) enqueue changes, and a
// resync enqueues every object periodically, so a missed event only delays, never loses, a
// reconcile.
//
// Metrics (docs/metrics.md): brix_controller_reconciles_total{kind,result} counted here; from
// Start() to Stop() a collector of the process registry reports the queue depths and the CRs'
// status series (controller_metrics.h).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "operator/controller/controllers.h"
#include "operator/controller/work_queue.h"

namespace brix::controller {

class ControllerManager {
 public:
  // `client` must outlive the manager.
  ControllerManager(client::ApiClient* client, ControllerOptions options);
  ~ControllerManager();  // Stop()

  [[nodiscard]] Status Start();
  void Stop();

 private:
  struct Loop {
    std::unique_ptr<Reconciler> reconciler;
    std::unique_ptr<WorkQueue> queue;
    std::unique_ptr<client::WatchHandle> watch;
    std::thread worker;
    metrics::Counter* reconciled_ok = nullptr;
    metrics::Counter* reconciled_error = nullptr;
  };
  void Work(Loop* loop);
  void Resync();
  // Kubernetes' garbage collector for the CRs a BackupSchedule owns: they go with it (through
  // their own finalizers, so cleanPolicy still applies). Jobs are the job runner's.
  void CollectOrphans();

  Context ctx_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<client::WatchHandle> job_watch_;
  std::thread resync_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool collect_ = false;  // a BackupSchedule was deleted: collect orphans now
  int metrics_collector_ = 0;
};

}  // namespace brix::controller
