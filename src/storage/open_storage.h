// OpenStorage: the one way the rest of brix gets an ExternalStorage from a `--storage` URL.
//
// Picks the driver by scheme and resolves credentials from the URL and the environment. When
// BRIX_STORAGE_FAULTS is set (tests of the layers above storage; syntax in
// fault/fault_injecting_storage.h) the driver is wrapped with injected faults and, above them, a
// RetryingStorage.
#pragma once

#include <memory>
#include <string_view>

#include "common/env.h"
#include "storage/external_storage.h"

namespace brix::storage {

[[nodiscard]] Result<std::unique_ptr<ExternalStorage>> OpenStorage(
    std::string_view url, const EnvLookup& env = ProcessEnv());

}  // namespace brix::storage
