#include "storage/encrypted_storage.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <functional>
#include <mutex>

#include "common/encoding.h"
#include "common/sealed_box.h"

namespace brix::storage {
namespace {

constexpr std::string_view kMagic = "BRIXENC1";
constexpr size_t kChunk = kEncryptionChunkBytes;
constexpr size_t kTag = 16;
constexpr size_t kStoredChunk = kChunk + kTag;
constexpr size_t kKeyIdAt = 12;
constexpr size_t kWrappedAt = 28, kWrappedBytes = 61;  // SealSecret of a 32-byte key
constexpr size_t kPrefixAt = 89, kPrefixBytes = 4;
constexpr size_t kHeader = kEncryptionHeaderBytes;
static_assert(kPrefixAt + kPrefixBytes == kHeader);
constexpr std::string_view kDataKeyAad = "brix-data-key-v1";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(std::string_view s) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(s[i])) << (8 * i);
  return v;
}

// One object's header and data key.
struct ObjectKey {
  std::string header;  // the kHeader stored bytes
  std::string data_key;
};

Result<std::string> Random(size_t n) {
  std::string s(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n)) != 1) {
    return Status::Internal("no random bytes");
  }
  return s;
}

Result<ObjectKey> NewObjectKey(const Kek& kek) {
  ObjectKey k;
  BRIX_ASSIGN_OR_RETURN(k.data_key, Random(32));
  BRIX_ASSIGN_OR_RETURN(std::string wrapped, SealSecret(kek.key, k.data_key, kDataKeyAad));
  BRIX_ASSIGN_OR_RETURN(std::string prefix, Random(kPrefixBytes));
  k.header.append(kMagic);
  PutU32(&k.header, static_cast<uint32_t>(kChunk));
  k.header += kek.id + wrapped + prefix;
  if (k.header.size() != kHeader) return Status::Internal("encryption header size");
  return k;
}

Result<ObjectKey> ParseObjectKey(const std::string& where, std::string_view header,
                                 const Kek& kek) {
  if (header.size() < kHeader) {
    return Status::Corruption(where + ": truncated (" + std::to_string(header.size()) +
                              " bytes, shorter than the encryption header)");
  }
  if (header.substr(0, kMagic.size()) != kMagic || GetU32(header.substr(8)) != kChunk) {
    return Status::Corruption(where +
                              ": no brix encryption header (damaged, or written without "
                              "encryption into an encrypted location)");
  }
  std::string_view id = header.substr(kKeyIdAt, kKeyIdBytes);
  if (id != kek.id) {
    return Status::Corruption(where + ": authentication failed: encrypted under key id " +
                              HexEncode(id) + ", this location's is " + HexEncode(kek.id));
  }
  auto data_key = OpenSecret(kek.key, header.substr(kWrappedAt, kWrappedBytes), kDataKeyAad);
  if (!data_key.ok()) {
    return Status::Corruption(where + ": authentication failed (its data key does not open)");
  }
  return ObjectKey{std::string(header.substr(0, kHeader)), *data_key};
}

// AES-256-GCM of the chunks of one object under its data key (OpenSSL EVP: AES-NI when the CPU
// has it). The key schedule is set up once; each chunk only sets its nonce.
class ChunkCipher {
 public:
  ChunkCipher(const ObjectKey& key, std::string name, bool encrypt)
      : key_(key),
        name_(std::move(name)),
        encrypt_(encrypt),
        ctx_(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free) {
    ok_ = ctx_ && EVP_CipherInit_ex(ctx_.get(), EVP_aes_256_gcm(), nullptr, U(key_.data_key),
                                    nullptr, encrypt_ ? 1 : 0) == 1;
  }

  // Appends the sealed chunk (ciphertext ‖ tag) to `out`.
  Status Seal(uint64_t index, bool last, std::string_view plain, std::string* out) {
    size_t at = out->size();
    out->resize(at + plain.size() + kTag);
    auto* dst = reinterpret_cast<unsigned char*>(out->data() + at);
    int len = 0, fin = 0;
    bool ok = Begin(index, last) &&
              EVP_CipherUpdate(ctx_.get(), dst, &len, U(plain), static_cast<int>(plain.size())) &&
              EVP_CipherFinal_ex(ctx_.get(), dst + len, &fin) &&
              EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_GET_TAG, kTag, dst + plain.size());
    return ok ? Status::OK() : Status::Internal("AES-256-GCM encryption failed");
  }

  // Appends the plaintext of a sealed chunk to `out`; false when it does not authenticate.
  bool Open(uint64_t index, bool last, std::string_view sealed, std::string* out) {
    if (sealed.size() < kTag) return false;
    size_t n = sealed.size() - kTag;
    size_t at = out->size();
    out->resize(at + n);
    auto* dst = reinterpret_cast<unsigned char*>(out->data() + at);
    unsigned char tag[kTag];
    std::memcpy(tag, sealed.data() + n, kTag);
    int len = 0, fin = 0;
    bool ok = Begin(index, last) &&
              EVP_CipherUpdate(ctx_.get(), dst, &len, U(sealed), static_cast<int>(n)) &&
              EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag) &&
              EVP_CipherFinal_ex(ctx_.get(), dst + len, &fin) == 1;
    if (!ok) out->resize(at);
    return ok;
  }

 private:
  bool Begin(uint64_t index, bool last) {
    std::string nonce = key_.header.substr(kPrefixAt, kPrefixBytes) + LittleEndian64(index);
    std::string aad = key_.header + LittleEndian64(index) + (last ? '\1' : '\0') + name_;
    int len = 0;
    return ok_ &&
           EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, nullptr, U(nonce), encrypt_ ? 1 : 0) &&
           EVP_CipherUpdate(ctx_.get(), nullptr, &len, U(aad), static_cast<int>(aad.size()));
  }

  ObjectKey key_;
  std::string name_;
  bool encrypt_;
  CipherCtx ctx_;
  bool ok_ = false;
};

// Opens consecutive stored chunks from chunk `index` on. `ends_object`: the bytes run to the
// object's end, so the last piece is the last chunk; otherwise (a ranged read) a full last piece
// may be either.
Status OpenChunks(const std::string& where, ChunkCipher& cipher, std::string_view stored,
                  uint64_t index, bool ends_object, std::string* out) {
  while (true) {
    size_t n = std::min(stored.size(), kStoredChunk);
    std::string_view piece = stored.substr(0, n);
    stored.remove_prefix(n);
    bool at_end = stored.empty();
    bool ok;
    if (!at_end) {
      ok = cipher.Open(index, false, piece, out);
    } else if (ends_object || n < kStoredChunk) {
      ok = cipher.Open(index, true, piece, out);
    } else {
      ok = cipher.Open(index, false, piece, out) || cipher.Open(index, true, piece, out);
    }
    if (!ok) {
      return Status::Corruption(where + ": authentication failed in chunk " +
                                std::to_string(index) +
                                " (damaged, truncated, reordered or moved object)");
    }
    if (at_end) return Status::OK();
    ++index;
  }
}

// The plaintext of a whole stored object.
Result<std::string> DecryptWhole(const std::string& where, std::string_view stored, const Kek& kek,
                                 const std::string& name) {
  BRIX_ASSIGN_OR_RETURN(ObjectKey key, ParseObjectKey(where, stored, kek));
  ChunkCipher cipher(key, name, false);
  std::string out;
  out.reserve(stored.size());
  BRIX_RETURN_IF_ERROR(OpenChunks(where, cipher, stored.substr(kHeader), 0, true, &out));
  return out;
}

// Encrypts a source on the fly for PutStream: the header, then each chunk once the next byte
// (or the end) shows whether it is the last. Rewinding replays the same bytes (same data key).
class EncryptingSource final : public ByteSource {
 public:
  EncryptingSource(ByteSource& in, const ObjectKey& key, const std::string& name)
      : in_(in), key_(key), cipher_(key, name, true) {}

  Result<size_t> Read(char* buf, size_t n) override {
    while (pos_ == out_.size()) {
      if (done_) return size_t{0};
      BRIX_RETURN_IF_ERROR(Refill());
    }
    size_t k = std::min(n, out_.size() - pos_);
    std::memcpy(buf, out_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<uint64_t> Size() const override {
    auto n = in_.Size();
    return n ? std::optional<uint64_t>(EncryptedSize(*n)) : std::nullopt;
  }
  Status Rewind() override {
    BRIX_RETURN_IF_ERROR(in_.Rewind());
    out_.clear();
    pending_.clear();
    pos_ = 0;
    index_ = 0;
    header_sent_ = done_ = eof_ = false;
    return Status::OK();
  }
  // NativeFile stays -1: the driver must copy ciphertext, not the plaintext file.

 private:
  Status Refill() {
    out_.clear();
    pos_ = 0;
    if (!header_sent_) {
      out_ = key_.header;
      header_sent_ = true;
      return Status::OK();
    }
    while (pending_.size() <= kChunk && !eof_) {
      size_t have = pending_.size();
      pending_.resize(kChunk + 1);
      BRIX_ASSIGN_OR_RETURN(size_t got, in_.Read(pending_.data() + have, kChunk + 1 - have));
      pending_.resize(have + got);
      if (got == 0) eof_ = true;
    }
    bool last = pending_.size() <= kChunk;
    size_t take = last ? pending_.size() : kChunk;
    BRIX_RETURN_IF_ERROR(
        cipher_.Seal(index_++, last, std::string_view(pending_).substr(0, take), &out_));
    pending_.erase(0, take);
    done_ = last;
    return Status::OK();
  }

  ByteSource& in_;
  ObjectKey key_;
  ChunkCipher cipher_;
  std::string out_, pending_;
  size_t pos_ = 0;
  uint64_t index_ = 0;
  bool header_sent_ = false, done_ = false, eof_ = false;
};

// Decrypts a streamed download chunk by chunk, holding at most about two stored chunks.
class DecryptingSink final : public ByteSink {
 public:
  DecryptingSink(ByteSink& out, std::string where, std::string name,
                 std::function<Result<Kek>()> kek)
      : out_(out), where_(std::move(where)), name_(std::move(name)), kek_(std::move(kek)) {}

  Status Write(std::string_view data) override {
    if (!cipher_) {
      size_t take = std::min(data.size(), kHeader - buf_.size());
      buf_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (buf_.size() < kHeader) return Status::OK();
      BRIX_ASSIGN_OR_RETURN(Kek kek, kek_());
      BRIX_ASSIGN_OR_RETURN(ObjectKey key, ParseObjectKey(where_, buf_, kek));
      cipher_ = std::make_unique<ChunkCipher>(key, name_, false);
      buf_.clear();
    }
    if (!buf_.empty()) {  // complete the pending chunk from the front of `data`
      size_t take = std::min(data.size(), kStoredChunk - buf_.size());
      buf_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (data.empty()) return Status::OK();  // buf_ may be the last chunk
      BRIX_RETURN_IF_ERROR(Emit(buf_, false));
      buf_.clear();
    }
    // Whole chunks straight from `data` (no copy of the ciphertext) while more follows them;
    // the rest, which may be the last chunk, waits.
    while (data.size() > kStoredChunk) {
      BRIX_RETURN_IF_ERROR(Emit(data.substr(0, kStoredChunk), false));
      data.remove_prefix(kStoredChunk);
    }
    buf_.assign(data);
    return Status::OK();
  }

  Status Finish() {
    if (!cipher_) {
      return Status::Corruption(where_ + ": truncated (" + std::to_string(buf_.size()) +
                                " bytes, shorter than the encryption header)");
    }
    return Emit(buf_, true);
  }

 private:
  Status Emit(std::string_view sealed, bool last) {
    plain_.clear();
    BRIX_RETURN_IF_ERROR(OpenChunks(where_, *cipher_, sealed, index_++, last, &plain_));
    return out_.Write(plain_);
  }

  ByteSink& out_;
  std::string where_, name_;
  std::function<Result<Kek>()> kek_;
  std::unique_ptr<ChunkCipher> cipher_;
  std::string buf_, plain_;  // buf_: the header, then at most one stored chunk
  uint64_t index_ = 0;
};

class EncryptedStorage final : public ExternalStorage {
 public:
  EncryptedStorage(std::unique_ptr<ExternalStorage> inner, std::string master_key,
                   std::optional<Kek> kek)
      : inner_(std::move(inner)), master_key_(std::move(master_key)), kek_(std::move(kek)) {}

  std::string Describe() const override { return inner_->Describe(); }

  Status Put(std::string_view name, std::string_view data, const PutOptions& options) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    BRIX_ASSIGN_OR_RETURN(Kek kek, KekForWrite());
    BRIX_ASSIGN_OR_RETURN(ObjectKey key, NewObjectKey(kek));
    ChunkCipher cipher(key, std::string(name), true);
    std::string stored = key.header;
    stored.reserve(EncryptedSize(data.size()));
    size_t at = 0;
    uint64_t index = 0;
    do {
      size_t n = std::min(kChunk, data.size() - at);
      BRIX_RETURN_IF_ERROR(
          cipher.Seal(index++, at + n == data.size(), data.substr(at, n), &stored));
      at += n;
    } while (at < data.size());
    return inner_->Put(name, stored, options);
  }

  Status PutStream(std::string_view name, ByteSource& source) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    BRIX_ASSIGN_OR_RETURN(Kek kek, KekForWrite());
    BRIX_ASSIGN_OR_RETURN(ObjectKey key, NewObjectKey(kek));
    EncryptingSource encrypting(source, key, std::string(name));
    return inner_->PutStream(name, encrypting);
  }

  Result<std::string> Get(std::string_view name, std::optional<ByteRange> range) override {
    const std::string where = Where(name);
    if (!range) {
      BRIX_ASSIGN_OR_RETURN(std::string stored, inner_->Get(name));
      BRIX_ASSIGN_OR_RETURN(Kek kek, KekForRead());
      return DecryptWhole(where, stored, kek, std::string(name));
    }
    const uint64_t first = range->offset / kChunk;
    std::optional<uint64_t> last;
    if (range->length) last = (range->offset + std::max<uint64_t>(*range->length, 1) - 1) / kChunk;
    auto span = [&](uint64_t from) -> std::optional<uint64_t> {
      if (!last) return std::nullopt;
      return (*last - from + 1) * kStoredChunk;
    };
    std::string header, chunks;
    if (first == 0) {
      auto n = span(0);
      BRIX_ASSIGN_OR_RETURN(std::string stored,
                            inner_->Get(name, ByteRange{0, n ? std::optional<uint64_t>(kHeader + *n)
                                                             : std::nullopt}));
      if (stored.size() < kHeader + kTag) {
        return Status::Corruption(where + ": truncated (" + std::to_string(stored.size()) +
                                  " bytes, shorter than the encryption framing)");
      }
      header = stored.substr(0, kHeader);
      chunks = stored.substr(kHeader);
    } else {
      BRIX_ASSIGN_OR_RETURN(header, inner_->Get(name, ByteRange{0, kHeader}));
      auto got = inner_->Get(name, ByteRange{kHeader + first * kStoredChunk, span(first)});
      if (got.status().IsInvalidArgument()) {
        return Status::InvalidArgument("range starts past the end of " + where);
      }
      if (!got.ok()) return got.status();
      chunks = std::move(*got);
    }
    BRIX_ASSIGN_OR_RETURN(Kek kek, KekForRead());
    BRIX_ASSIGN_OR_RETURN(ObjectKey key, ParseObjectKey(where, header, kek));
    ChunkCipher cipher(key, std::string(name), false);
    std::string plain;
    BRIX_RETURN_IF_ERROR(OpenChunks(where, cipher, chunks, first, !last, &plain));
    const uint64_t skip = range->offset - first * kChunk;
    if (skip > plain.size() || (skip == plain.size() && range->offset > 0)) {
      return Status::InvalidArgument("range starts past the end of " + where);
    }
    return plain.substr(skip, range->length ? *range->length : std::string::npos);
  }

  Status GetStream(std::string_view name, ByteSink& sink) override {
    DecryptingSink decrypting(sink, Where(name), std::string(name),
                              [this] { return KekForRead(); });
    BRIX_RETURN_IF_ERROR(inner_->GetStream(name, decrypting));
    return decrypting.Finish();
  }

  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_results) override {
    BRIX_ASSIGN_OR_RETURN(ListPage page, inner_->List(prefix, page_token, max_results));
    std::vector<ObjectInfo> shown;
    shown.reserve(page.objects.size());
    for (auto& o : page.objects) {
      if (o.name == kKeyringName) continue;
      o.size = PlaintextSize(o.size).value_or(0);  // a damaged object fails when read
      shown.push_back(std::move(o));
    }
    page.objects = std::move(shown);
    return page;
  }

  Status Delete(std::string_view name) override { return inner_->Delete(name); }

  Result<ObjectInfo> Stat(std::string_view name) override {
    BRIX_ASSIGN_OR_RETURN(ObjectInfo info, inner_->Stat(name));
    auto plain = PlaintextSize(info.size);
    if (!plain) {
      return Status::Corruption(Where(name) + ": truncated (" + std::to_string(info.size) +
                                " stored bytes fit no encrypted object)");
    }
    info.size = *plain;
    return info;
  }

  // Reads the keyring now (a wrong master key fails at open, before any write).
  Status LoadNow() {
    if (kek_ || master_key_.empty()) return Status::OK();
    BRIX_ASSIGN_OR_RETURN(kek_, LoadKeyring(*inner_, master_key_));
    return Status::OK();
  }

 private:
  std::string Where(std::string_view name) const {
    return inner_->Describe() + "/" + std::string(name);
  }

  Result<Kek> KekForWrite() {
    std::lock_guard lock(mu_);
    if (kek_) return *kek_;
    BRIX_ASSIGN_OR_RETURN(Kek kek, LoadOrCreateKeyring(*inner_, master_key_));
    kek_ = kek;
    return kek;
  }

  Result<Kek> KekForRead() {
    std::lock_guard lock(mu_);
    if (kek_) return *kek_;
    BRIX_ASSIGN_OR_RETURN(kek_, LoadKeyring(*inner_, master_key_));
    if (!kek_) {
      return Status::FailedPrecondition(
          inner_->Describe() + " has no " + kKeyringName +
          ": it was not written with encryption (run without --crypter.* / " + kEncryptionKeyEnv +
          ")");
    }
    return *kek_;
  }

  std::unique_ptr<ExternalStorage> inner_;
  const std::string master_key_;
  std::mutex mu_;
  std::optional<Kek> kek_;
};

// Without encryption: refuses to hand an encrypted object's bytes to a parser.
class RefusingEncryptedStorage final : public ExternalStorage {
 public:
  explicit RefusingEncryptedStorage(std::unique_ptr<ExternalStorage> inner)
      : inner_(std::move(inner)) {}

  std::string Describe() const override { return inner_->Describe(); }
  // The bytes are the stored ones either way: a fast path reading the file sees what Get would
  // (an encrypted object then fails its plaintext checksum; the metadata read first is refused).
  std::optional<std::string> LocalFile(std::string_view name) const override {
    return inner_->LocalFile(name);
  }
  Status Put(std::string_view name, std::string_view data, const PutOptions& options) override {
    return inner_->Put(name, data, options);
  }
  Status PutStream(std::string_view name, ByteSource& source) override {
    return inner_->PutStream(name, source);
  }
  Result<std::string> Get(std::string_view name, std::optional<ByteRange> range) override {
    BRIX_ASSIGN_OR_RETURN(std::string data, inner_->Get(name, range));
    if ((!range || range->offset == 0) && std::string_view(data).starts_with(kMagic)) {
      return Refuse(name);
    }
    return data;
  }
  Status GetStream(std::string_view name, ByteSink& sink) override {
    struct Checking final : ByteSink {
      ByteSink* out;
      bool first = true, encrypted = false;
      Status Write(std::string_view d) override {
        if (first && d.starts_with(kMagic)) encrypted = true;
        first = false;
        return encrypted ? Status::Aborted("encrypted") : out->Write(d);
      }
    } checking;
    checking.out = &sink;
    Status s = inner_->GetStream(name, checking);
    return checking.encrypted ? Refuse(name) : s;
  }
  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_results) override {
    return inner_->List(prefix, page_token, max_results);
  }
  Status Delete(std::string_view name) override { return inner_->Delete(name); }
  Result<ObjectInfo> Stat(std::string_view name) override { return inner_->Stat(name); }

 private:
  Status Refuse(std::string_view name) const {
    return Status::FailedPrecondition(inner_->Describe() + "/" + std::string(name) +
                                      " is encrypted: give the master key (--crypter.key-file "
                                      "FILE or " +
                                      kEncryptionKeyEnv + ")");
  }
  std::unique_ptr<ExternalStorage> inner_;
};

}  // namespace

uint64_t EncryptedSize(uint64_t plaintext) {
  uint64_t chunks = plaintext == 0 ? 1 : (plaintext + kChunk - 1) / kChunk;
  return kHeader + plaintext + chunks * kTag;
}

std::optional<uint64_t> PlaintextSize(uint64_t stored) {
  if (stored < kHeader + kTag) return std::nullopt;
  uint64_t body = stored - kHeader;
  uint64_t chunks = (body + kStoredChunk - 1) / kStoredChunk;
  uint64_t last = body - (chunks - 1) * kStoredChunk;
  if (last < kTag || (last == kTag && chunks > 1)) return std::nullopt;
  return body - chunks * kTag;
}

Result<std::unique_ptr<ExternalStorage>> WrapWithEncryption(std::unique_ptr<ExternalStorage> inner,
                                                            const EncryptionSettings& settings) {
  if (!settings.enabled) return Status::Internal("WrapWithEncryption without a key");
  auto storage =
      std::make_unique<EncryptedStorage>(std::move(inner), settings.master_key, settings.kek);
  BRIX_RETURN_IF_ERROR(storage->LoadNow());
  return std::unique_ptr<ExternalStorage>(std::move(storage));
}

std::unique_ptr<ExternalStorage> WrapRefusingEncrypted(std::unique_ptr<ExternalStorage> inner) {
  return std::make_unique<RefusingEncryptedStorage>(std::move(inner));
}

}  // namespace brix::storage
