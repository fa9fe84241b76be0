// Secrets at rest: AES-256-GCM sealing (OpenSSL EVP) under a cluster credential key, and the key
// file that holds it.
//
// - A sealed blob is: version byte 0x01 ‖ 12-byte random nonce ‖ ciphertext ‖ 16-byte GCM tag.
//   `aad` (associated data, e.g. the log task's name) is authenticated but not stored: a blob
//   opens only under the same key and the same aad, so a blob copied to another task is refused.
// - The credential key file holds exactly 32 random bytes (raw, or 64 hex digits with an
//   optional trailing newline). It must be a regular file readable by its owner only (mode 0600
//   or stricter), like an ssh private key: a wider mode is refused, not warned about.
// - Errors never contain key or plaintext bytes.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace brix {

inline constexpr size_t kCredentialKeyBytes = 32;

// Seals `plaintext` under the 32-byte `key` with a fresh random nonce.
[[nodiscard]] Result<std::string> SealSecret(std::string_view key, std::string_view plaintext,
                                             std::string_view aad);
// Opens a blob SealSecret made; Corruption when the key, the aad or any byte differs.
[[nodiscard]] Result<std::string> OpenSecret(std::string_view key, std::string_view blob,
                                             std::string_view aad);

// Reads and checks a credential key file (see above). `flag` names the option in errors.
[[nodiscard]] Result<std::string> LoadCredentialKey(
    const std::string& path, std::string_view flag = "--credential-key-file");
// Creates `path` (mode 0600, exclusive) with 32 fresh random bytes as 64 hex digits, unless it
// exists already (then it is kept: data sealed under it must stay readable). Checks the result
// with LoadCredentialKey.
[[nodiscard]] Status EnsureCredentialKeyFile(const std::string& path);

// A name that becomes one component of a path on a node (a task's folder, a staged file): 1 to
// `max_len` characters of [A-Za-z0-9._-], and not "." or "..". InvalidArgument naming `field`.
[[nodiscard]] Status CheckPathComponent(std::string_view field, std::string_view value,
                                        size_t max_len = 128);

}  // namespace brix
