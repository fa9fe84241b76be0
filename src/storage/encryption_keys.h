// The key hierarchy of client-side encryption (docs/encryption.md):
//
//   master key (32 bytes; the user's: a file, BRIX_ENCRYPTION_KEY or a Kubernetes Secret)
//     wraps the location's key-encryption key (KEK, 32 random bytes, one per location), kept in
//     the one unencrypted object `encryption/keyring` at the location;
//   the KEK wraps each object's own random data key (storage/encrypted_storage.h).
//
// Contracts:
// - The keyring holds the KEK sealed (common/sealed_box.h, AES-256-GCM) under the master key with
//   the key id as associated data; the GCM tag is the verifier: a wrong master key is refused
//   ("does not open the keyring") before anything is written, and the error holds no key bytes.
// - Rotation rewraps the KEK under a new master key and rewrites only the keyring (create-only
//   write of the new one is not possible on an existing name, so it is a replacing Put of a
//   complete object: readers see the old or the new keyring, both open the same KEK). Data
//   objects are not rewritten; the old master key stops opening the keyring.
// - Nodes never get the master key: coordinators forward the KEK (kEncryptionKekEnv) through the
//   same protected paths as storage credentials (br/storage_target.h; for log tasks sealed in
//   etcd, cluster/log_task_credentials.h).
// - Environment: kEncryptionKeyEnv (64 hex digits) or kEncryptionKeyFileEnv (a file as
//   common/sealed_box.h's key files: 32 raw bytes or 64 hex digits, mode 0600) give the master
//   key; kEncryptionMethodEnv is "aes256-gcm" (the default when a key is given) or "plaintext";
//   anything else is refused naming the accepted values. Key values never come from argv.
#pragma once

#include <optional>
#include <string>

#include "common/env.h"
#include "common/result.h"
#include "storage/external_storage.h"

namespace brix::storage {

inline constexpr char kEncryptionKeyEnv[] = "BRIX_ENCRYPTION_KEY";
inline constexpr char kEncryptionKeyFileEnv[] = "BRIX_ENCRYPTION_KEY_FILE";
inline constexpr char kEncryptionMethodEnv[] = "BRIX_ENCRYPTION_METHOD";
// Node side only: "<key id hex>:<KEK hex>", forwarded by coordinators.
inline constexpr char kEncryptionKekEnv[] = "BRIX_ENCRYPTION_KEK";
inline constexpr char kKeyringName[] = "encryption/keyring";
inline constexpr char kEncryptionMethod[] = "aes256-gcm";
// Bytes of a key id (the keyring names its KEK by one; every encrypted object's header carries it).
inline constexpr size_t kKeyIdBytes = 16;

// A location's key-encryption key.
struct Kek {
  std::string id;   // 16 random bytes, written in every object header
  std::string key;  // 32 bytes
};

struct EncryptionSettings {
  bool enabled = false;
  std::string master_key;  // 32 bytes, or empty when only `kek` is known (a node)
  std::optional<Kek> kek;  // forwarded by a coordinator (takes precedence)
};

// Reads the variables above. InvalidArgument naming the variable (never its value) when one is
// malformed, or when a method other than aes256-gcm/plaintext is asked for.
[[nodiscard]] Result<EncryptionSettings> EncryptionFromEnv(const EnvLookup& env);

// `env` without the encryption variables (for listings of a location's parents, which read no
// object contents).
EnvLookup WithoutEncryption(EnvLookup env);

// The keyring of the location `raw` (an unencrypted storage) opened with `master_key`: nullopt
// when the location has none; FailedPrecondition when the key does not open it.
[[nodiscard]] Result<std::optional<Kek>> LoadKeyring(ExternalStorage& raw,
                                                     const std::string& master_key);
// LoadKeyring, creating the keyring (create-only; a concurrent creator wins) when there is none.
[[nodiscard]] Result<Kek> LoadOrCreateKeyring(ExternalStorage& raw, const std::string& master_key);
// Rewraps the KEK under `new_master_key`; FailedPrecondition when `old_master_key` does not
// open the keyring or there is none.
[[nodiscard]] Status RotateKeyring(ExternalStorage& raw, const std::string& old_master_key,
                                   const std::string& new_master_key);

// kEncryptionKekEnv's value for `kek`, and back.
std::string KekEnvValue(const Kek& kek);
[[nodiscard]] Result<Kek> ParseKekEnvValue(const std::string& value);

}  // namespace brix::storage
