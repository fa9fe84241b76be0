// brixd's series (docs/metrics.md), read at scrape time so that nothing stale stays after an
// object is deleted:
// - the controllers' work queue depth per kind (the ControllerManager's queues);
// - from the backup CRs' status, gauges labelled by namespace and name: each CR's phase
//   (kube-state-metrics' style: 1 for the current phase), a finished backup's bytes and a
//   finished backup's or restore's duration, a BackupSchedule's last and next backup time, a
//   CompactBackup's progress (the compaction runs in a short-lived `brix manager` job, so its
//   progress is exported here, from the status the job writes);
// - Jobs by owner kind and outcome (pending, active, succeeded, failed).
// Reconcile counts are counted by the manager as it reconciles (brix_controller_reconciles_total).
// Only status fields are read: no spec, no secret, no storage path appears in a label.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "operator/client/api_client.h"

namespace brix::controller {

// Queue depths by kind, as the manager reports them at scrape time.
using QueueDepths = std::function<std::vector<std::pair<std::string, size_t>>()>;

// Collects the families above by listing the CRs and Jobs through `client`.
std::vector<metrics::CollectedFamily> CollectControllerMetrics(client::ApiClient& client,
                                                               const QueueDepths& depths);

// The done fraction of a CompactBackup's status.progress ("[READ_META(a/b),COMPACT_WORK(c/d)]"
// or tikv-ctl's counters); nullopt when it has none.
std::optional<double> CompactProgressRatio(const std::string& progress);

}  // namespace brix::controller
