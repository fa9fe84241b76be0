// Who owns which storage prefix (docs/format/locks.md: "nothing lost, nothing resurrected").
//
// A *brix location* is a prefix holding one of the marker objects below: `backupmeta` or
// `backup.lock` (a snapshot backup, finished or running) or `v1/task` (a log backup, with its
// compactions). Contracts:
//   - Locations never nest. A new snapshot backup, log task or compaction refuses a location
//     that lies inside another one, contains one, or holds the other kind's marker
//     (CheckLocationIsFree); the error names the other location.
//   - A run owns its location only once its create-only marker is written: backup.lock (whose
//     run id names the run) or v1/task (whose task name and start ts name it).
//   - A snapshot run writes its data files only under `<run id>/`; its cleanup deletes only
//     objects of its own run (RunFolder, the files its backupmeta names, its checkpoints and
//     lock), never "everything not named".
//   - DeleteOwnedObjects deletes exactly what one run owns, and only when the location's marker
//     proves that run owns it; the proving marker goes last, so an interrupted delete can be
//     repeated.
#pragma once

#include <cstdint>
#include <string>

#include "common/env.h"
#include "common/result.h"

namespace brix::br {

enum class LocationKind { kSnapshot, kLog };

// OK when no other brix location is at, above or below `url` (see the file comment);
// FailedPrecondition naming the other location otherwise. Lists every object below `url`.
[[nodiscard]] Status CheckLocationIsFree(const std::string& url, const EnvLookup& env,
                                         LocationKind kind);

// Where a snapshot run with this id writes its data files ("" for runs from before run ids:
// they wrote at the top of the location and no folder is theirs alone).
std::string RunFolder(const std::string& run_id);

// Identifies the run whose objects a cleanup may delete.
struct RunOwner {
  LocationKind kind = LocationKind::kSnapshot;
  std::string run_id;     // snapshot: the run id of its backup.lock / backupmeta
  std::string task;       // log: the task name in v1/task
  uint64_t start_ts = 0;  // log: its start ts (0 = not recorded, the task name must do)

  static RunOwner Snapshot(std::string run_id) {
    return {LocationKind::kSnapshot, std::move(run_id), "", 0};
  }
  static RunOwner Log(std::string task, uint64_t start_ts) {
    return {LocationKind::kLog, "", std::move(task), start_ts};
  }
};

struct DeleteReport {
  bool owned = false;    // the location's marker names this run (false: nothing was touched)
  uint64_t deleted = 0;  // objects deleted
  std::string note;      // why nothing was touched, when so
};

// Deletes the objects `owner`'s run wrote at `url`: for a snapshot run its data folder, the files
// its backupmeta names, its checkpoints, lock and (last) backupmeta; for a log task everything
// under v1/ and (last) v1/task. Touches nothing when the marker is missing or names another run
// (or the owner is empty): that is reported, not an error.
[[nodiscard]] Result<DeleteReport> DeleteOwnedObjects(const std::string& url, const EnvLookup& env,
                                                      const RunOwner& owner);

}  // namespace brix::br
