// FaultInjectingStorage: wraps any ExternalStorage and, with a seeded random generator, makes
// operations fail the way real storage does, so tests of every layer can prove they tolerate it:
//  - error responses: the operation is refused before it reaches the inner storage
//    (Unavailable, like a 503);
//  - dropped connections: the operation reaches the inner storage and takes effect, but the
//    caller gets Unavailable (the ambiguous case: a retry must cope with its own earlier success);
//  - short reads: a streamed read delivers part of the object, then fails;
//  - latency: a sleep before the operation.
// All of these are retryable (Unavailable). The seed makes a run replayable.
// One deterministic fault for tests that need a failure at an exact step: every write of an
// object whose name contains `fail_put` fails with IOError (not retryable; nothing is written).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::storage {

struct FaultOptions {
  double error_rate = 0;       // probability of an error response per operation
  double drop_rate = 0;        // probability of a dropped connection after the operation ran
  double short_read_rate = 0;  // probability that a streamed read breaks midway
  std::chrono::milliseconds max_latency{0};  // uniform random sleep in [0, max_latency]
  uint64_t seed = 1;
  std::string fail_put;  // non-empty: writes of names containing it fail permanently
};

// Parses "rate=0.2,seed=7,latency-ms=5" (rate sets error, drop and short-read rates to a third
// each); also "error=,drop=,short-read=" and "fail-put=<part of a name>". Used by
// BRIX_STORAGE_FAULTS in tests of the layers above storage.
[[nodiscard]] Result<FaultOptions> ParseFaultOptions(const std::string& spec);

std::unique_ptr<ExternalStorage> WrapWithFaults(std::unique_ptr<ExternalStorage> inner,
                                                FaultOptions options);

}  // namespace brix::storage
