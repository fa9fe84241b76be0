// The objects of a snapshot backup location (docs/format/snapshot.md) and how they are read.
#pragma once

#include <string>

#include "br/proto/backup.pb.h"
#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::br {

inline constexpr char kBackupMetaName[] = "backupmeta";
inline constexpr char kBackupLockName[] = "backup.lock";
inline constexpr char kCheckpointPrefix[] = "checkpoints/";
inline constexpr uint32_t kBackupMetaVersion = 1;

// The backupmeta of the location. NotFound says whether the location holds an interrupted (or
// running) backup or nothing at all; Corruption if it is damaged (its checksum seal,
// br/meta_seal.h, does not match); NotSupported naming the location and the version if its
// version is not kBackupMetaVersion (docs/format/snapshot.md). backup.lock and checkpoints/* are
// sealed metadata too.
[[nodiscard]] Result<BackupMeta> ReadBackupMeta(storage::ExternalStorage& storage);

// The backup.lock of the location (sealed): NotFound when there is none, Corruption if damaged.
[[nodiscard]] Result<BackupLock> ReadBackupLock(storage::ExternalStorage& storage);

// The backupmeta as JSON (brix debug meta): keys and digests in base64, as protobuf's JSON does.
[[nodiscard]] Result<std::string> BackupMetaToJson(const BackupMeta& meta);

}  // namespace brix::br
