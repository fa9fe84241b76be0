// The checksum seal of every metadata object brix writes to a backup or log location: the one
// owner of its framing. Metadata names the data (files, ts ranges, ranges done), so a damaged
// byte there silently changes what restore and PITR read; sealed, it is refused instead.
//
// A sealed object is one text header line, then the payload (a serialized protobuf, or text):
//
//   brixmeta <version> <kind> <payload length> <CRC-64/XZ of the payload, 16 hex digits>\n
//
// Contract:
//  - Every writer of a metadata object seals it (SealMeta, PutMeta); every reader unseals it
//    (UnsealMeta, GetMeta) before using a byte of it, and refuses what does not unseal.
//  - Unsealing checks the magic, the version, that the object is of the kind the reader expects
//    (a backupmeta is not accepted as a log meta), the length and the CRC. Any failure is
//    Status::Corruption naming the kind and the object and saying "checksum mismatch"; an
//    object without a seal is refused the same way, saying it predates metadata checksums.
//  - Kinds are the constants below: short words without spaces.
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::br {

inline constexpr uint32_t kMetaSealVersion = 1;

// The kinds of metadata objects.
inline constexpr char kMetaBackupMeta[] = "backupmeta";               // backupmeta
inline constexpr char kMetaBackupLock[] = "backup.lock";              // backup.lock
inline constexpr char kMetaBackupCheckpoint[] = "backup-checkpoint";  // checkpoints/<n>
inline constexpr char kMetaLogLocation[] = "log-location";            // v1/task
inline constexpr char kMetaLogMeta[] = "log-meta";                    // v1/backupmeta/*.meta
inline constexpr char kMetaGlobalCheckpoint[] = "global-checkpoint";  // v1/global_checkpoint/*
inline constexpr char kMetaCompactionPlan[] = "compaction-plan";      // <compaction>/plan
inline constexpr char kMetaSubcompaction[] = "subcompaction";         // <compaction>/metas/*
inline constexpr char kMetaCompaction[] = "compaction-meta";        // <compaction>/compaction.meta
inline constexpr char kMetaTruncationBound[] = "truncation-bound";  // v1/truncated/<until>

// The stored bytes of `payload` as metadata of `kind`.
std::string SealMeta(std::string_view kind, std::string_view payload);

// The payload of `data`, which must be a sealed object of `kind`; `name` says which object it is
// in errors (the object name, and where it is).
[[nodiscard]] Result<std::string> UnsealMeta(std::string_view kind, std::string_view name,
                                             std::string_view data);

// The same for protobuf payloads: Corruption "<kind> <name> does not parse" after a good seal.
std::string SealMessage(std::string_view kind, const google::protobuf::MessageLite& message);
[[nodiscard]] Status UnsealMessage(std::string_view kind, std::string_view name,
                                   std::string_view data, google::protobuf::MessageLite* out);

// Writes `message` sealed as `kind` to `object`.
[[nodiscard]] Status PutMeta(storage::ExternalStorage& storage, std::string_view kind,
                             std::string_view object, const google::protobuf::MessageLite& message,
                             const storage::PutOptions& options = {});
// Reads `object` and unseals it into `out`. NotFound (and every other read error) as the storage
// says it; errors about the content name the object and the storage.
[[nodiscard]] Status GetMeta(storage::ExternalStorage& storage, std::string_view kind,
                             std::string_view object, google::protobuf::MessageLite* out);

}  // namespace brix::br
