// Which storage a node writes to or reads from, and with whose credentials
// (--send-credentials-to-tikv): either the coordinator's, forwarded in the request, or the
// node's own environment. Encryption (storage/encryption_keys.h): the coordinator forwards the
// location's KEK (never the master key) in every target, also with the node's own credentials,
// and marks the target encrypted; a node given an encrypted target without a key refuses it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "br/proto/backup.pb.h"
#include "common/env.h"
#include "storage/external_storage.h"

namespace brix::br {

// Coordinator side: the URL plus, when `send_credentials`, the storage variables of `env`; when
// `env` turns encryption on, the KEK (creating the location's keyring if it has none).
[[nodiscard]] Result<StorageTarget> MakeStorageTarget(const std::string& url, bool send_credentials,
                                                      const EnvLookup& env);

// Moves the secrets of `url`'s query (?sas-token=, ?account-key=) into `vars` as the variables
// that stand for them with the same precedence (AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_KEY) and
// returns the URL without them: what a log task keeps in kvpd must hold no secret (they go
// sealed: cluster/log_task_credentials.h).
[[nodiscard]] Result<std::string> MoveUrlSecrets(const std::string& url,
                                                 std::map<std::string, std::string>* vars);

// Node side: opens the target with the forwarded variables or the process environment (with
// use_node_env, variables in `env` — secrets moved out of the URL — come first).
// FailedPrecondition when the target is encrypted and no key came with it.
[[nodiscard]] Result<std::unique_ptr<storage::ExternalStorage>> OpenStorageTarget(
    const StorageTarget& target);

}  // namespace brix::br
