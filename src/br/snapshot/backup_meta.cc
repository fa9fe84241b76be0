#include "br/snapshot/backup_meta.h"

#include <google/protobuf/util/json_util.h>

#include "br/meta_seal.h"

namespace brix::br {

Result<BackupMeta> ReadBackupMeta(storage::ExternalStorage& storage) {
  BackupMeta meta;
  Status s = GetMeta(storage, kMetaBackupMeta, kBackupMetaName, &meta);
  if (!s.ok()) {
    if (!s.IsNotFound()) return s;
    BRIX_ASSIGN_OR_RETURN(bool locked, storage.Exists(kBackupLockName));
    if (locked) {
      return Status::NotFound(
          storage.Describe() +
          " holds an incomplete backup (backup.lock but no backupmeta): it was interrupted or is "
          "still running; run the same backup command again to finish it");
    }
    return Status::NotFound("no backup at " + storage.Describe() + " (backupmeta is missing)");
  }
  if (meta.version() != kBackupMetaVersion) {
    return Status::NotSupported("backupmeta at " + storage.Describe() + " has version " +
                                std::to_string(meta.version()) +
                                ", which this brix cannot read (it reads version " +
                                std::to_string(kBackupMetaVersion) + ")");
  }
  return meta;
}

Result<BackupLock> ReadBackupLock(storage::ExternalStorage& storage) {
  BackupLock lock;
  BRIX_RETURN_IF_ERROR(GetMeta(storage, kMetaBackupLock, kBackupLockName, &lock));
  return lock;
}

Result<std::string> BackupMetaToJson(const BackupMeta& meta) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  auto s = google::protobuf::util::MessageToJsonString(meta, &out, opts);
  if (!s.ok()) return Status::Internal("backupmeta to JSON: " + std::string(s.message()));
  return out;
}

}  // namespace brix::br
