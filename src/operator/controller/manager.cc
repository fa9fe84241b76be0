#include "operator/controller/manager.h"

#include <spdlog/spdlog.h>

#include "operator/controller/controller_metrics.h"

namespace brix::controller {

ControllerManager::ControllerManager(client::ApiClient* client, ControllerOptions options)
    : ctx_{client, std::move(options)} {
  std::vector<std::unique_ptr<Reconciler>> all;
  all.push_back(std::make_unique<BackupController>(&ctx_));
  all.push_back(std::make_unique<RestoreController>(&ctx_));
  all.push_back(std::make_unique<CompactController>(&ctx_));
  all.push_back(std::make_unique<ScheduleController>(&ctx_));
  for (auto& r : all) {
    auto loop = std::make_unique<Loop>();
    loop->reconciler = std::move(r);
    loop->queue = std::make_unique<WorkQueue>(Millis(100), Millis(100'000));
    auto& reconciles = metrics::Default().Counter("brix_controller_reconciles_total",
                                                  "Reconciles by kind and result (ok, error).",
                                                  {"kind", "result"});
    loop->reconciled_ok = &reconciles.WithLabels({loop->reconciler->info().kind, "ok"});
    loop->reconciled_error = &reconciles.WithLabels({loop->reconciler->info().kind, "error"});
    loops_.push_back(std::move(loop));
  }
}

ControllerManager::~ControllerManager() { Stop(); }

Status ControllerManager::Start() {
  for (auto& l : loops_) {
    WorkQueue* q = l->queue.get();
    bool owner_kind = &l->reconciler->info() == &client::BackupSchedules();
    auto w = ctx_.client->Watch(
        l->reconciler->info(), [this, q, owner_kind](const client::WatchEvent& e) {
          q->Add(client::NamespaceOf(e.object) + "/" + client::NameOf(e.object));
          if (owner_kind && e.type == "DELETED") {
            // What the schedule owned goes now, not at the next resync.
            std::lock_guard<std::mutex> lock(mu_);
            collect_ = true;
            cv_.notify_all();
          }
        });
    if (w.ok()) l->watch = std::move(w).value();
  }
  // A Job's change wakes its owner's controller.
  auto jw = ctx_.client->Watch(client::Jobs(), [this](const client::WatchEvent& e) {
    for (const auto& ref : e.object["metadata"].value("ownerReferences", client::Json::array())) {
      for (auto& l : loops_) {
        if (l->reconciler->info().kind == ref.value("kind", "")) {
          l->queue->Add(client::NamespaceOf(e.object) + "/" + ref.value("name", ""));
        }
      }
    }
  });
  if (jw.ok()) job_watch_ = std::move(jw).value();
  for (auto& l : loops_) {
    Loop* loop = l.get();
    loop->worker = std::thread([this, loop] { Work(loop); });
  }
  resync_ = std::thread([this] { Resync(); });
  metrics_collector_ = metrics::Default().AddCollector([this] {
    return CollectControllerMetrics(*ctx_.client, [this] {
      std::vector<std::pair<std::string, size_t>> depths;
      for (auto& l : loops_) depths.emplace_back(l->reconciler->info().kind, l->queue->Depth());
      return depths;
    });
  });
  return Status::OK();
}

void ControllerManager::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  // Waits for a scrape in progress: the collector reads the queues and the client.
  if (metrics_collector_ != 0) metrics::Default().RemoveCollector(metrics_collector_);
  cv_.notify_all();
  job_watch_.reset();
  for (auto& l : loops_) {
    l->watch.reset();
    l->queue->ShutDown();
  }
  for (auto& l : loops_) {
    if (l->worker.joinable()) l->worker.join();
  }
  if (resync_.joinable()) resync_.join();
}

void ControllerManager::Work(Loop* loop) {
  while (auto key = loop->queue->Get()) {
    size_t slash = key->find('/');
    std::string ns = key->substr(0, slash), name = key->substr(slash + 1);
    Result<Outcome> r = Status::Internal("unset");
    try {
      r = loop->reconciler->Reconcile(ns, name);
    } catch (const std::exception& e) {
      // An object shaped in a way the controller did not expect must not take brixd down.
      r = Status::Internal(std::string("unexpected object shape: ") + e.what());
    }
    if (!r.ok()) {
      spdlog::warn("{} {}: {}", loop->reconciler->info().kind, *key, r.status().ToString());
      loop->reconciled_error->Inc();
      loop->queue->AddRateLimited(*key);
    } else {
      loop->reconciled_ok->Inc();
      loop->queue->Forget(*key);
      if (r->requeue_after) loop->queue->AddAfter(*key, *r->requeue_after);
    }
    loop->queue->Done(*key);
  }
}

void ControllerManager::CollectOrphans() {
  for (const api::ResourceInfo* info : {&client::Backups(), &client::CompactBackups()}) {
    auto all = ctx_.client->List(*info, "");
    if (!all.ok()) continue;
    for (const auto& o : *all) {
      for (const auto& ref : o["metadata"].value("ownerReferences", client::Json::array())) {
        if (ref.value("kind", "") != "BackupSchedule") continue;
        auto owner = ctx_.client->Get(client::BackupSchedules(), client::NamespaceOf(o),
                                      ref.value("name", ""));
        bool gone = (!owner.ok() && owner.status().IsNotFound()) ||
                    (owner.ok() && client::UidOf(*owner) != ref.value("uid", ""));
        if (!gone) continue;
        spdlog::info("{} {}/{}: its BackupSchedule is gone; deleting it", info->kind,
                     client::NamespaceOf(o), client::NameOf(o));
        ctx_.client->Delete(*info, client::NamespaceOf(o), client::NameOf(o)).IgnoreError();
      }
    }
  }
}

void ControllerManager::Resync() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    CollectOrphans();
    if (std::chrono::steady_clock::now() >= next) {
      for (auto& l : loops_) {
        auto all = ctx_.client->List(l->reconciler->info(), "");
        if (!all.ok()) continue;
        for (const auto& o : *all) {
          l->queue->Add(client::NamespaceOf(o) + "/" + client::NameOf(o));
        }
      }
      next = std::chrono::steady_clock::now() + ctx_.options.resync;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, next, [this] { return stop_ || collect_; });
    if (stop_) return;
    collect_ = false;
  }
}

}  // namespace brix::controller
