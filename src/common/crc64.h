// CRC-64 in the two variants brix needs. Both are reflected, init ~0, xorout ~0; they differ in
// the polynomial:
//  - CRC-64/XZ (ECMA-182 polynomial): brix's own per-file and per-table kv checksums
//  (docs/format/snapshot.md).
//    Check value of "123456789": 0x995DC9BBDF1939FA.
//  - CRC-64/NVME: what Azure's x-ms-content-crc64 header carries (Azure Blob REST API, Put Blob).
//    Check value of "123456789": 0xAE8B14860A799888.
// Slicing-by-8 tables, computed once. Stream by passing the previous result as `crc`.
#pragma once

#include <cstdint>
#include <string_view>

namespace brix {

uint64_t Crc64Xz(std::string_view data, uint64_t crc = 0);
uint64_t Crc64Nvme(std::string_view data, uint64_t crc = 0);

}  // namespace brix
