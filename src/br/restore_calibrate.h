// A calibration run (docs/backup.md#restore-estimates): `brix restore full|db|table --calibrate`
// (and `brix restore point --calibrate`: PitrOptions::calibrate, the same for PITR) restores a
// backup into the target the way a restore does (same phases, same code), measures its rates and
// keeps them in the target's history (br/restore_rates.h; the run marked `calibration`), and leaves
// nothing a user sees: the tables are never published (no catalog entry names their ids, so no
// read, checksum or `kvctl` listing reaches them) and every key the run ingested is then deleted
// (tombstones under those ids, reclaimed by GC like any delete). So a cluster that never restored,
// or an empty one a PITR needs, gets measured rates for the snapshot phases (download, ingest,
// checksum), and with a PITR calibration replay's too, before its first real restore. Refused like
// a restore: a backup whose selected tables exist in the target (pick others with -f), an
// incremental backup (it would write into existing tables), an active log backup.
#pragma once

#include "br/progress.h"
#include "br/snapshot/restore.h"
#include "cluster/client/kv_client.h"
#include "common/result.h"

namespace brix::br {

// Deletes every live key of tables never published (no reader but the calibration sees them).
[[nodiscard]] Status DeleteUnpublished(cluster::KvClient& kv,
                                       const std::vector<cluster::TableRef>& tables, uint64_t ts);

// The restore's summary; its `unpublished` are the ids the run used (now empty).
[[nodiscard]] Result<RestoreSummary> CalibrateRestore(const RestoreOptions& options,
                                                      const ProgressFn& progress = {});

}  // namespace brix::br
