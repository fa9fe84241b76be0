#include "br/restore_calibrate.h"

#include <algorithm>

#include "br/restore_rates.h"
#include "br/snapshot/backup_meta.h"
#include "cluster/client/kv_client.h"
#include "cluster/client/pd_client.h"
#include "cluster/mvcc.h"
#include "storage/open_storage.h"

namespace brix::br {
namespace {

constexpr size_t kDeleteBatch = 1000;  // keys per delete write

}  // namespace

Status DeleteUnpublished(cluster::KvClient& kv, const std::vector<cluster::TableRef>& tables,
                         uint64_t ts) {
  for (const auto& t : tables) {
    // The keys first, then the deletes: no write while the scan runs.
    std::vector<std::string> keys;
    BRIX_RETURN_IF_ERROR(kv.Scan(cluster::TablePrefix(t.id), cluster::TablePrefix(t.id + 1), ts,
                                 [&](const cluster::KvPair& p) {
                                   keys.push_back(p.key());
                                   return true;
                                 }));
    for (size_t i = 0; i < keys.size(); i += kDeleteBatch) {
      std::vector<cluster::KvMutation> batch;
      for (size_t j = i; j < std::min(keys.size(), i + kDeleteBatch); ++j) {
        batch.push_back({keys[j], true, ""});
      }
      BRIX_RETURN_IF_ERROR(kv.Write(std::move(batch)).status());
    }
  }
  return Status::OK();
}

Result<RestoreSummary> CalibrateRestore(const RestoreOptions& options, const ProgressFn& progress) {
  {
    BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(options.storage_url, options.env));
    BRIX_ASSIGN_OR_RETURN(BackupMeta meta, ReadBackupMeta(*storage));
    if (meta.start_version() != 0) {
      return Status::InvalidArgument(
          "--calibrate needs a full backup (-s), not an incremental one: an incremental restore "
          "writes into tables that exist");
    }
  }
  RestoreOptions o = options;
  o.publish = false;  // never visible
  BRIX_ASSIGN_OR_RETURN(RestoreSummary sum, RunRestore(o, progress));
  BRIX_ASSIGN_OR_RETURN(auto pd, cluster::PdClient::Connect(options.pd));
  cluster::KvClient kv(pd.get());
  BRIX_ASSIGN_OR_RETURN(uint64_t now, pd->GetTs());
  BRIX_RETURN_IF_ERROR(DeleteUnpublished(kv, sum.unpublished, now)
                           .WithContext("calibration: deleting what it restored"));
  BRIX_ASSIGN_OR_RETURN(RestoreRateHistory history, ReadRateHistory(kv, now));
  BRIX_RETURN_IF_ERROR(
      kv.Write({RateHistoryMutation(history, "full", sum.seconds, sum.phases, true)}).status());
  return sum;
}

}  // namespace brix::br
