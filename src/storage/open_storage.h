// OpenStorage: the one way the rest of brix gets an ExternalStorage from a `--storage` URL.
//
// Picks the driver by scheme and resolves credentials from the URL and the environment. When
// BRIX_STORAGE_FAULTS is set (tests of the layers above storage; syntax in
// fault/fault_injecting_storage.h) the driver is wrapped with injected faults and, above them, a
// RetryingStorage. When the environment turns encryption on (storage/encryption_keys.h) the result
// is an EncryptedStorage above all of that (storage/encrypted_storage.h); otherwise a thin layer
// that refuses to return encrypted objects' bytes (a clear "give the key" error instead).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/env.h"
#include "storage/external_storage.h"

namespace brix::storage {

[[nodiscard]] Result<std::unique_ptr<ExternalStorage>> OpenStorage(
    std::string_view url, const EnvLookup& env = ProcessEnv());

// What a coordinator forwards to nodes so they can read and write `url` encrypted: the value of
// kEncryptionKekEnv (the location's KEK, never the master key), creating the location's keyring
// when it has none; nullopt when `env` does not turn encryption on.
[[nodiscard]] Result<std::optional<std::string>> ForwardedEncryptionKey(std::string_view url,
                                                                        const EnvLookup& env);

}  // namespace brix::storage
