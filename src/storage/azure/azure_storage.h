// AzureBlobStorage: ExternalStorage on Azure Blob Storage (block blobs) through the REST API over
// libcurl (the Azure Blob REST API). Hand-written because no Azure SDK for C++ is packaged for
// Debian and brix needs full control of retries, signing and transfer sizes.
//
// Transfers: Put of an object up to `single_put_max` (default 256 MiB) is one Put Blob sent from
// the caller's bytes without a copy; a larger one goes as Put Block calls (`block_size` slices of
// the caller's bytes, `concurrency` in flight) committed by one Put Block List, so readers never
// see a partial object. PutStream of a local file (ByteSource::NativeFile) maps it read-only
// (common/mapped_file.h) and uploads it like Put from the mapping: no read() copy, the CRC over
// the page cache. PutStream of another source that knows its size and rewinds up to
// `single_put_max` is one Put Blob streamed from the source (a first pass computes the CRC; each
// retry rewinds), holding nothing but curl's upload buffer; any other stream holds at most
// `concurrency` + 1 blocks of `block_size` (reused) in memory: one that ends within its first
// block is one Put Blob, a longer one goes as blocks. Every body carries x-ms-content-crc64.
// Streamed downloads fetch `block_size` ranges, `concurrency` in flight (memory: at most
// `concurrency` ranges), pinned to the first ETag with If-Match.
//
// Every request is retried with jittered exponential backoff on transport errors, timeouts, 408,
// 429, 500, 502, 503, 504 and checksum mismatches, honouring retry-after-ms, x-ms-retry-after-ms
// and Retry-After; each try gets a fresh x-ms-date and signature. Errors carry the HTTP status,
// x-ms-error-code and request id, and name container and blob — never a key, SAS or token.
#pragma once

#include <memory>

#include "common/backoff.h"
#include "net/http_transport.h"
#include "storage/azure/azure_config.h"
#include "storage/external_storage.h"

namespace brix::storage {

// The API version brix speaks (x-ms-version); ≥ 2021-12-02 so the Cold tier is allowed.
inline constexpr const char* kAzureApiVersion = "2023-11-03";

// Opens the driver. `transport` defaults to a CurlTransport built from the config; tests pass a
// fault-injecting one. Fails early (InvalidArgument) on a SAS that has already expired.
[[nodiscard]] Result<std::unique_ptr<ExternalStorage>> OpenAzureStorage(
    const AzureConfig& config, std::shared_ptr<net::HttpTransport> transport = nullptr,
    BackoffOptions backoff = {});

}  // namespace brix::storage
