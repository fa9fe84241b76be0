// The storage credentials of a log task at rest (cluster.proto StorageCredentials): kvpd seals
// them on LogTaskPut and keeps only the blob in etcd; kvnodes open the blob they get from
// LogTaskGet(with_sealed_credentials). Both hold the same cluster credential key
// (--credential-key-file, common/sealed_box.h); the task name is the associated data, so a blob
// opens only for the task it was sealed for. Errors never contain credential bytes.
#pragma once

#include <map>
#include <string>

#include "cluster/proto/cluster.pb.h"
#include "common/result.h"

namespace brix::cluster {

// `key` empty (the process has no --credential-key-file): FailedPrecondition saying so.
[[nodiscard]] Result<std::string> SealLogTaskCredentials(const std::string& key,
                                                         const std::string& task,
                                                         const StorageCredentials& credentials);
[[nodiscard]] Result<std::map<std::string, std::string>> OpenLogTaskCredentials(
    const std::string& key, const std::string& task, const std::string& sealed);

}  // namespace brix::cluster
