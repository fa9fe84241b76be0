// Hashes and MACs over OpenSSL: SHA-256 (file integrity in backupmeta), HMAC-SHA256 (Azure
// Shared Key and SAS signatures), MD5 (only where Azure's protocol asks for it).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace brix {

// Raw 32-byte HMAC-SHA256 of `message` under `key`.
std::string HmacSha256(std::string_view key, std::string_view message);
// Raw 32-byte SHA-256.
std::string Sha256(std::string_view data);

// Incremental SHA-256 for streamed data.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // Raw 32-byte digest; the hasher must not be updated afterwards.
  std::string Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// SHA-256 on a helper thread, for a caller that does other work on every byte it hashes
// (decrypting and writing a download): Update copies the bytes into one of `buffers` buffers of
// `buffer_bytes` and returns while the helper hashes the full ones, so the two run on two cores
// and a file's hash no longer adds to its other work. Memory: buffers × buffer_bytes. Update
// waits when every buffer is full or being hashed. Not thread-safe: one caller.
class BackgroundSha256Hasher {
 public:
  explicit BackgroundSha256Hasher(size_t buffer_bytes = 1 << 20, int buffers = 3);
  // Joins the helper (after Finish, or dropping the digest of an abandoned stream).
  ~BackgroundSha256Hasher();
  BackgroundSha256Hasher(const BackgroundSha256Hasher&) = delete;
  BackgroundSha256Hasher& operator=(const BackgroundSha256Hasher&) = delete;

  void Update(std::string_view data);
  // Raw 32-byte digest of everything updated, once the helper has hashed it; call once.
  std::string Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brix
