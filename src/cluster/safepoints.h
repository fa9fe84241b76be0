// The names and lifetimes of what holds GC back, owned here and used by both sides: the
// coordinator (br/*: backup, log tasks, restore, PITR) and the node (br/log/node_log.cc, which
// moves a log task's safepoint with every checkpoint).
//
// Service safepoints (kvpd keeps every version newer than the smallest live one; a TTL passes
// unrefreshed → it is dropped): names are "<kind>-<id>".
//   br-<uuid>      a snapshot backup run (recorded in its lock file, so a resumed run renews
//                  the same one); held kBackupSafePointTtl, renewed every
//                  kBackupSafePointRefresh while the run lives
//   log-<task>     a log-backup task, at its global checkpoint - 1; held
//                  kLogSafePointTtl from each start, pause, resume and checkpoint
// A ttl of 0 removes a service safepoint.
//
// GC pause owners (cluster/pd/gc_pause.h; no GC at all while one lives): "<kind>-<uuid>".
//   restore-<uuid> a snapshot restore run;   pitr-<uuid> a point-in-time restore run
// held kGcPauseTtl, refreshed every ttl/5 (cluster/client/gc_pause_hold.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace brix::cluster {

// A snapshot backup run's service safepoint; `run` is a fresh uuid.
inline std::string BackupSafePointName(const std::string& run) { return "br-" + run; }
// Long enough for an interrupted backup run to resume.
inline constexpr std::chrono::seconds kBackupSafePointTtl{3600};
inline constexpr std::chrono::seconds kBackupSafePointRefresh{30};

// A log-backup task's service safepoint.
inline std::string LogTaskSafePointName(const std::string& task) { return "log-" + task; }
inline constexpr std::chrono::seconds kLogSafePointTtl{24 * 3600};

// GC pause owners; `run` is a fresh uuid.
inline std::string RestoreGcPauseOwner(const std::string& run) { return "restore-" + run; }
inline std::string PitrGcPauseOwner(const std::string& run) { return "pitr-" + run; }
// How long GC stays paused if the restoring process dies.
inline constexpr std::chrono::seconds kGcPauseTtl{300};

}  // namespace brix::cluster
