// RetryingStorage: repeats operations of any ExternalStorage that fail with a retryable Status
// (Unavailable, Timeout), with jittered exponential backoff. A streamed read that breaks midway
// resumes: bytes the sink already has are not delivered twice.
//
// Drivers already retry their own protocol errors (the Azure driver retries HTTP 5xx with the
// server's hints); this layer makes every caller robust to failures that surface through the
// interface — notably those injected by FaultInjectingStorage in tests.
//
// A create-only Put that fails ambiguously and then finds the object present compares the stored
// bytes with its own: equal bytes mean the first try landed (lock contents carry a unique owner,
// so a stranger's lock never compares equal).
#pragma once

#include <memory>

#include "common/backoff.h"
#include "storage/external_storage.h"

namespace brix::storage {

std::unique_ptr<ExternalStorage> WrapWithRetries(std::unique_ptr<ExternalStorage> inner,
                                                 BackoffOptions backoff = {});

}  // namespace brix::storage
