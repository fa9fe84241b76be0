// Hashes and MACs over OpenSSL: SHA-256 (file integrity in backupmeta), HMAC-SHA256 (Azure
// Shared Key and SAS signatures), MD5 (only where Azure's protocol asks for it).
#pragma once

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

}  // namespace brix
