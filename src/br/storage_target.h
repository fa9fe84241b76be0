// Which storage a node writes to or reads from, and with whose credentials
// (--send-credentials-to-tikv): either the coordinator's, forwarded in the request, or the
// node's own environment.
#pragma once

#include <memory>
#include <string>

#include "br/proto/backup.pb.h"
#include "common/env.h"
#include "storage/external_storage.h"

namespace brix::br {

// Coordinator side: the URL plus, when `send_credentials`, the storage variables of `env`.
StorageTarget MakeStorageTarget(const std::string& url, bool send_credentials,
                                const EnvLookup& env);

// Node side: opens the target with the forwarded variables or the process environment.
[[nodiscard]] Result<std::unique_ptr<storage::ExternalStorage>> OpenStorageTarget(
    const StorageTarget& target);

}  // namespace brix::br
