#include "storage/encryption_keys.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/sealed_box.h"

namespace brix::storage {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr int kKeyringVersion = 1;

// The keyring object, as stored (JSON, so a person can see what it is).
struct Keyring {
  std::string method;
  std::string key_id;       // raw
  std::string wrapped_kek;  // SealSecret(master key, KEK, aad = KeyringAad(key_id))
};

std::string KeyringAad(const std::string& key_id) { return "brix-keyring-v1:" + HexEncode(key_id); }

std::string EncodeKeyring(const Keyring& k) {
  nlohmann::json j = {{"format", "brix-keyring"},
                      {"version", kKeyringVersion},
                      {"method", k.method},
                      {"key_id", HexEncode(k.key_id)},
                      {"wrapped_kek", HexEncode(k.wrapped_kek)}};
  return j.dump(2) + "\n";
}

Result<Keyring> DecodeKeyring(const std::string& where, const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto field = [&](const char* name) -> std::optional<std::string> {
    if (!j.is_object() || !j.contains(name) || !j[name].is_string()) return std::nullopt;
    return j[name].get<std::string>();
  };
  auto format = field("format");
  auto method = field("method");
  auto id = field("key_id");
  auto wrapped = field("wrapped_kek");
  std::optional<std::string> raw_id = id ? HexDecode(*id) : std::nullopt;
  std::optional<std::string> raw_wrapped = wrapped ? HexDecode(*wrapped) : std::nullopt;
  if (!format || *format != "brix-keyring" || !j.contains("version") ||
      !j["version"].is_number_integer() || !method || !raw_id || raw_id->size() != kKeyIdBytes ||
      !raw_wrapped) {
    return Status::Corruption(where + " is not a brix keyring");
  }
  if (j["version"].get<int>() != kKeyringVersion || *method != kEncryptionMethod) {
    return Status::FailedPrecondition(where + " has version " +
                                      std::to_string(j["version"].get<int>()) + " and method " +
                                      *method + "; this brix reads version 1, aes256-gcm");
  }
  return Keyring{*method, *raw_id, *raw_wrapped};
}

Result<std::string> RandomKey(size_t n) {
  std::string key(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(n)) != 1) {
    return Status::Internal("no random bytes");
  }
  return key;
}

Result<std::string> MasterKeyFromHex(const char* var, const std::string& value) {
  std::string text = value;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = HexDecode(text);
  if (!key || key->size() != kKeyBytes) {
    return Status::InvalidArgument(std::string(var) +
                                   ": must be 64 hex digits (a 32-byte key); value not shown");
  }
  return *key;
}

std::string Where(ExternalStorage& raw) { return raw.Describe() + "/" + kKeyringName; }

}  // namespace

Result<EncryptionSettings> EncryptionFromEnv(const EnvLookup& env) {
  EncryptionSettings s;
  auto method = env(kEncryptionMethodEnv);
  if (method && *method != kEncryptionMethod && *method != "plaintext") {
    return Status::InvalidArgument("--crypter.method (" + std::string(kEncryptionMethodEnv) +
                                   ") '" + *method +
                                   "': accepted values are aes256-gcm, plaintext");
  }
  if (method && *method == "plaintext") return s;
  if (auto kek = env(kEncryptionKekEnv)) {
    BRIX_ASSIGN_OR_RETURN(s.kek, ParseKekEnvValue(*kek));
    s.enabled = true;
  }
  auto hex = env(kEncryptionKeyEnv);
  auto file = env(kEncryptionKeyFileEnv);
  if (hex && file) {
    return Status::InvalidArgument(std::string("give the master key once: ") + kEncryptionKeyEnv +
                                   " or --crypter.key-file (" + kEncryptionKeyFileEnv +
                                   "), not both");
  }
  if (hex) {
    BRIX_ASSIGN_OR_RETURN(s.master_key, MasterKeyFromHex(kEncryptionKeyEnv, *hex));
  } else if (file) {
    BRIX_ASSIGN_OR_RETURN(s.master_key, LoadCredentialKey(*file, "--crypter.key-file"));
  }
  if (!s.master_key.empty()) s.enabled = true;
  if (method && !s.enabled) {
    return Status::InvalidArgument(
        "--crypter.method aes256-gcm needs a master key: --crypter.key-file FILE or " +
        std::string(kEncryptionKeyEnv));
  }
  return s;
}

EnvLookup WithoutEncryption(EnvLookup env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    if (name == kEncryptionKeyEnv || name == kEncryptionKeyFileEnv ||
        name == kEncryptionMethodEnv || name == kEncryptionKekEnv) {
      return std::nullopt;
    }
    return env(name);
  };
}

Result<std::optional<Kek>> LoadKeyring(ExternalStorage& raw, const std::string& master_key) {
  auto text = raw.Get(kKeyringName);
  if (text.status().IsNotFound()) return std::optional<Kek>();
  if (!text.ok()) return text.status();
  BRIX_ASSIGN_OR_RETURN(Keyring ring, DecodeKeyring(Where(raw), *text));
  auto kek = OpenSecret(master_key, ring.wrapped_kek, KeyringAad(ring.key_id));
  if (!kek.ok() || kek->size() != kKeyBytes) {
    return Status::FailedPrecondition(
        "the master key does not open " + Where(raw) +
        ": wrong key (or the keyring was rotated to another key); nothing was read or written");
  }
  return std::optional<Kek>(Kek{ring.key_id, *kek});
}

Result<Kek> LoadOrCreateKeyring(ExternalStorage& raw, const std::string& master_key) {
  BRIX_ASSIGN_OR_RETURN(auto existing, LoadKeyring(raw, master_key));
  if (existing) return *existing;
  Kek kek;
  BRIX_ASSIGN_OR_RETURN(kek.id, RandomKey(kKeyIdBytes));
  BRIX_ASSIGN_OR_RETURN(kek.key, RandomKey(kKeyBytes));
  Keyring ring;
  ring.method = kEncryptionMethod;
  ring.key_id = kek.id;
  BRIX_ASSIGN_OR_RETURN(ring.wrapped_kek, SealSecret(master_key, kek.key, KeyringAad(kek.id)));
  Status put = raw.Put(kKeyringName, EncodeKeyring(ring), {.if_absent = true});
  if (put.IsAlreadyExists()) {  // another writer created it first: use theirs
    BRIX_ASSIGN_OR_RETURN(existing, LoadKeyring(raw, master_key));
    if (existing) return *existing;
  }
  BRIX_RETURN_IF_ERROR(put);
  return kek;
}

Status RotateKeyring(ExternalStorage& raw, const std::string& old_master_key,
                     const std::string& new_master_key) {
  BRIX_ASSIGN_OR_RETURN(auto kek, LoadKeyring(raw, old_master_key));
  if (!kek) return Status::FailedPrecondition(Where(raw) + " does not exist: nothing to rotate");
  Keyring ring;
  ring.method = kEncryptionMethod;
  ring.key_id = kek->id;
  BRIX_ASSIGN_OR_RETURN(ring.wrapped_kek,
                        SealSecret(new_master_key, kek->key, KeyringAad(kek->id)));
  return raw.Put(kKeyringName, EncodeKeyring(ring));
}

std::string KekEnvValue(const Kek& kek) { return HexEncode(kek.id) + ":" + HexEncode(kek.key); }

Result<Kek> ParseKekEnvValue(const std::string& value) {
  size_t colon = value.find(':');
  std::optional<std::string> id, key;
  if (colon != std::string::npos) {
    id = HexDecode(std::string_view(value).substr(0, colon));
    key = HexDecode(std::string_view(value).substr(colon + 1));
  }
  if (!id || !key || id->size() != kKeyIdBytes || key->size() != kKeyBytes) {
    return Status::InvalidArgument(std::string(kEncryptionKekEnv) +
                                   ": malformed (value not shown)");
  }
  return Kek{*id, *key};
}

}  // namespace brix::storage
