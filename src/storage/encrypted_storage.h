// EncryptedStorage: client-side envelope encryption as an ExternalStorage decorator
// (docs/encryption.md; framing in docs/format/encryption.md). The outermost layer: drivers,
// retries and injected faults sit below it and only ever see ciphertext.
//
// Each object = a fixed 93-byte header + chunks:
//   header: "BRIXENC1" | u32 LE chunk size (65536) | 16-byte key id (the location's KEK) |
//           61-byte data key sealed under the KEK (common/sealed_box.h, AES-256-GCM) |
//           4-byte random nonce prefix
//   chunk i: AES-256-GCM of up to 65536 plaintext bytes under the object's random data key,
//            nonce = prefix ‖ u64 LE i, AAD = header ‖ u64 LE i ‖ last-chunk flag ‖ object name,
//            then its 16-byte tag. Every chunk is full but the last; an empty object has one
//            empty chunk.
// Contracts:
// - Chunks cannot be reordered, dropped, truncated at a chunk edge or moved to another object or
//   name: any changed byte anywhere fails authentication → Corruption "<location>/<name>:
//   authentication failed ...". A stored object shorter than its framing → Corruption naming it.
// - Sizes (Stat, List) are plaintext sizes, computed from the stored size without reading.
//   Ranged Gets read only the header and the chunks covering the range. PutStream and GetStream
//   hold at most ~2 chunks (bounded memory); PutStream never offers the driver a NativeFile (the
//   kernel must not copy plaintext), and LocalFile() is nullopt.
// - With a master key, the location's keyring (storage/encryption_keys.h) is read when the
//   storage is opened (a wrong key fails there, before anything is written) and created by the
//   first write when absent. With only a forwarded KEK (nodes) the keyring is never touched; an
//   object under another key id is refused naming both ids.
// - Reading an object that is not encrypted fails (FailedPrecondition naming it). The keyring
//   object itself is not listed.
// - WrapRefusingEncrypted (the layer without encryption) turns a whole-object read of an
//   encrypted object into FailedPrecondition "encrypted: give the master key ..." instead of
//   handing ciphertext to a parser.
#pragma once

#include <memory>

#include "storage/encryption_keys.h"
#include "storage/external_storage.h"

namespace brix::storage {

inline constexpr size_t kEncryptionChunkBytes = 64 << 10;
inline constexpr size_t kEncryptionHeaderBytes = 93;

// `settings.enabled` must be true. Reads the keyring now when only a master key is given.
[[nodiscard]] Result<std::unique_ptr<ExternalStorage>> WrapWithEncryption(
    std::unique_ptr<ExternalStorage> inner, const EncryptionSettings& settings);

std::unique_ptr<ExternalStorage> WrapRefusingEncrypted(std::unique_ptr<ExternalStorage> inner);

// Stored size of an object of `plaintext` bytes, and back (nullopt: no valid framing has it).
uint64_t EncryptedSize(uint64_t plaintext);
std::optional<uint64_t> PlaintextSize(uint64_t stored);

}  // namespace brix::storage
