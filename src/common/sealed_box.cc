#include "common/sealed_box.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include "common/durable_file.h"
#include "common/encoding.h"

namespace brix {
namespace {

constexpr char kVersion = 0x01;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

Status CheckKey(std::string_view key) {
  if (key.size() != kCredentialKeyBytes) {
    return Status::InvalidArgument("credential key must be 32 bytes, not " +
                                   std::to_string(key.size()));
  }
  return Status::OK();
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

Result<std::string> SealSecret(std::string_view key, std::string_view plaintext,
                               std::string_view aad) {
  BRIX_RETURN_IF_ERROR(CheckKey(key));
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = kVersion;
  if (RAND_bytes(U(out) + 1, kNonceBytes) != 1) return Status::Internal("no random bytes");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(out) + 1) &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) &&
            EVP_EncryptUpdate(ctx.get(), U(out) + 1 + kNonceBytes, &len, U(plaintext),
                              static_cast<int>(plaintext.size())) &&
            EVP_EncryptFinal_ex(ctx.get(), U(out) + 1 + kNonceBytes + len, &len) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                U(out) + 1 + kNonceBytes + plaintext.size());
  if (!ok) return Status::Internal("AES-256-GCM seal failed");
  return out;
}

Result<std::string> OpenSecret(std::string_view key, std::string_view blob, std::string_view aad) {
  BRIX_RETURN_IF_ERROR(CheckKey(key));
  if (blob.size() < 1 + kNonceBytes + kTagBytes || blob[0] != kVersion) {
    return Status::Corruption("sealed secret is malformed (" + std::to_string(blob.size()) +
                              " bytes)");
  }
  const size_t n = blob.size() - 1 - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  std::string tag(blob.substr(1 + kNonceBytes + n));
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(blob) + 1) &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) &&
      EVP_DecryptUpdate(ctx.get(), U(out), &len, U(blob) + 1 + kNonceBytes, static_cast<int>(n)) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, U(tag)) &&
      EVP_DecryptFinal_ex(ctx.get(), U(out) + len, &len) == 1;
  if (!ok) {
    return Status::Corruption(
        "sealed secret does not open: another credential key, another owner, or altered bytes");
  }
  return out;
}

Result<std::string> LoadCredentialKey(const std::string& path, std::string_view flag) {
  const std::string where = std::string(flag) + " " + path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::InvalidArgument(where + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(where + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::InvalidArgument(where + ": readable by group or others (mode " + mode +
                                   "); chmod 600 it");
  }
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::IOError(where + ": cannot read");
  if (data.size() == kCredentialKeyBytes) return data;
  std::string text = data;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() == 2 * kCredentialKeyBytes && IsHex(text)) {
    std::string key;
    for (size_t i = 0; i < text.size(); i += 2) {
      key.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
    }
    return key;
  }
  return Status::InvalidArgument(where + ": must hold 32 random bytes (raw, or 64 hex digits)");
}

Status EnsureCredentialKeyFile(const std::string& path) {
  std::string key(kCredentialKeyBytes, '\0');
  if (RAND_bytes(U(key), static_cast<int>(key.size())) != 1) {
    return Status::Internal("no random bytes");
  }
  // Durable and exclusive (common/durable_file.h): a crash leaves no half-written key, and an
  // existing key is never replaced.
  DurableFileOptions options;
  options.mode = 0600;
  options.if_absent = true;
  BRIX_ASSIGN_OR_RETURN(auto file, DurableFile::Create(path, options));
  BRIX_RETURN_IF_ERROR(file.Append(HexEncode(key) + "\n"));
  Status s = file.Commit();
  if (!s.ok() && !s.IsAlreadyExists()) return s.WithContext("write credential key " + path);
  return LoadCredentialKey(path).status();
}

Status CheckPathComponent(std::string_view field, std::string_view value, size_t max_len) {
  bool ok = !value.empty() && value.size() <= max_len && value != "." && value != "..";
  for (char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      ok = false;
    }
  }
  if (ok) return Status::OK();
  std::string shown(value.substr(0, std::min<size_t>(value.size(), 64)));
  for (char& c : shown) {
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  }
  return Status::InvalidArgument(std::string(field) + " '" + shown + "': must be 1 to " +
                                 std::to_string(max_len) +
                                 " letters, digits, '-', '_' or '.' (not '.' or '..')");
}

}  // namespace brix
