// OpenStorage: the one way the rest of brix gets an ExternalStorage from a `--storage` URL.
//
// Picks the driver by scheme, resolves credentials from the URL and the environment, and wraps
// the driver with retries. When BRIX_STORAGE_FAULTS is set (tests only; see
// fault/fault_injecting_storage.h for the syntax) faults are injected beneath the retries.
#pragma once

#include <memory>
#include <string_view>

#include "common/env.h"
#include "storage/external_storage.h"

namespace brix::storage {

[[nodiscard]] Result<std::unique_ptr<ExternalStorage>> OpenStorage(
    std::string_view url, const EnvLookup& env = ProcessEnv());

}  // namespace brix::storage
