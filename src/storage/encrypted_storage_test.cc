#include "storage/encrypted_storage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/encoding.h"
#include "storage/local/local_storage.h"
#include "storage/open_storage.h"
#include "storage/storage_conformance.h"
#include "testing/temp_dir.h"

namespace brix::storage {
namespace {

const std::string kKeyA(64, 'a');
const std::string kKeyB(64, 'b');

class EncryptedStorageTest : public ::testing::Test {
 protected:
  std::string Url() const { return "local://" + dir_.path() + "/loc"; }
  std::unique_ptr<ExternalStorage> Open(const std::string& hex_key = kKeyA) {
    auto s = OpenStorage(Url(), MapEnv({{kEncryptionKeyEnv, hex_key}}));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<ExternalStorage> Raw() {
    auto s = OpenStorage(Url(), MapEnv({}));
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }
  std::string FilePath(const std::string& name) const { return dir_.path() + "/loc/" + name; }
  std::string ReadFile(const std::string& name) const {
    std::ifstream in(FilePath(name), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  void WriteFile(const std::string& name, const std::string& data) const {
    std::ofstream(FilePath(name), std::ios::binary | std::ios::trunc) << data;
  }
  brix::testing::TempDir dir_;
};

TEST_F(EncryptedStorageTest, BehavesLikeEveryStorage) {
  auto s = Open();
  testing::CheckBasicOperations(*s, (3 << 20) + 7);
  testing::CheckStreaming(*s, (1 << 20) + 5);
  testing::CheckListing(*s, 60, 10);
  EXPECT_FALSE(s->LocalFile("x").has_value());  // a local fast path must not bypass decryption
}

TEST_F(EncryptedStorageTest, SizesAndRangesAtChunkEdgesArePlaintext) {
  auto s = Open();
  const size_t c = kEncryptionChunkBytes;
  for (size_t size : {size_t{0}, c - 1, c, c + 1, 3 * c}) {
    std::string data = testing::RandomBytes(size, size);
    std::string name = "edges/" + std::to_string(size);
    ASSERT_TRUE(s->Put(name, data).ok());
    EXPECT_EQ(s->Stat(name)->size, size);
    EXPECT_EQ(std::filesystem::file_size(FilePath(name)), EncryptedSize(size));
    EXPECT_EQ(PlaintextSize(EncryptedSize(size)), size);
    for (uint64_t off : {uint64_t{0}, uint64_t{c - 1}, uint64_t{c}, uint64_t{c + 1}, 2 * c}) {
      if (off >= size && off > 0) {
        EXPECT_TRUE(s->Get(name, ByteRange{off, 1}).status().IsInvalidArgument()) << size << off;
        continue;
      }
      for (std::optional<uint64_t> len :
           {std::optional<uint64_t>(1), std::optional<uint64_t>(c), std::optional<uint64_t>()}) {
        auto got = s->Get(name, ByteRange{off, len});
        ASSERT_TRUE(got.ok()) << got.status().ToString() << " size " << size << " off " << off;
        EXPECT_TRUE(*got == data.substr(off, len ? *len : std::string::npos))
            << "size " << size << " off " << off;
      }
    }
  }
  EXPECT_EQ(s->ListAll("edges/")->size(), 5u);
  EXPECT_EQ(s->ListAll("")->size(), 5u);  // the keyring is not listed
}

// Streams what `inner` stores in pieces of the sizes `pieces` gives in turn, so a stream reader
// meets the splits a test chooses.
class ChoppyStorage final : public ExternalStorage {
 public:
  ChoppyStorage(std::unique_ptr<ExternalStorage> inner, std::vector<size_t> pieces)
      : inner_(std::move(inner)), pieces_(std::move(pieces)) {}
  std::string Describe() const override { return inner_->Describe(); }
  Status Put(std::string_view name, std::string_view data, const PutOptions& options) override {
    return inner_->Put(name, data, options);
  }
  Status PutStream(std::string_view name, ByteSource& source) override {
    return inner_->PutStream(name, source);
  }
  Result<std::string> Get(std::string_view name, std::optional<ByteRange> range) override {
    return inner_->Get(name, range);
  }
  Status GetStream(std::string_view name, ByteSink& sink) override {
    BRIX_ASSIGN_OR_RETURN(std::string all, inner_->Get(name));
    std::string_view rest = all;
    for (size_t i = 0; !rest.empty(); ++i) {
      size_t n = std::min(rest.size(), pieces_[i % pieces_.size()]);
      BRIX_RETURN_IF_ERROR(sink.Write(rest.substr(0, n)));
      rest.remove_prefix(n);
    }
    return Status::OK();
  }
  Result<ListPage> List(std::string_view prefix, std::string_view token, int max) override {
    return inner_->List(prefix, token, max);
  }
  Status Delete(std::string_view name) override { return inner_->Delete(name); }
  Result<ObjectInfo> Stat(std::string_view name) override { return inner_->Stat(name); }

 private:
  std::unique_ptr<ExternalStorage> inner_;
  std::vector<size_t> pieces_;
};

class StringSink final : public ByteSink {
 public:
  Status Write(std::string_view data) override {
    out.append(data);
    return Status::OK();
  }
  std::string out;
};

TEST_F(EncryptedStorageTest, StreamedReadsDecryptWhateverPiecesTheBytesArriveIn) {
  auto settings = EncryptionFromEnv(MapEnv({{kEncryptionKeyEnv, kKeyA}}));
  ASSERT_TRUE(settings.ok());
  const size_t c = kEncryptionChunkBytes, stored = c + 16;  // a stored chunk: ciphertext, tag
  const size_t h = kEncryptionHeaderBytes;
  // Awkward pieces (1 byte, around the header, around a stored chunk, several chunks), and the
  // header then everything at once.
  for (const std::vector<size_t>& pieces : std::vector<std::vector<size_t>>{
           {1, h - 1, 1, stored - 1, 2, stored, stored + 1, 7, 3 * stored, 1}, {h, SIZE_MAX}}) {
    auto local = OpenLocalStorage(dir_.path() + "/loc");
    ASSERT_TRUE(local.ok());
    auto s =
        WrapWithEncryption(std::make_unique<ChoppyStorage>(std::move(*local), pieces), *settings);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    for (size_t size : {size_t{0}, size_t{1}, c - 1, c, c + 1, 2 * c, 5 * c + 3, 9 * c}) {
      std::string data = testing::RandomBytes(size, size + 1);
      std::string name = "stream/" + std::to_string(size);
      ASSERT_TRUE((*s)->Put(name, data).ok());
      StringSink sink;
      Status got = (*s)->GetStream(name, sink);
      ASSERT_TRUE(got.ok()) << got.ToString() << " size " << size << " pieces " << pieces[0];
      EXPECT_TRUE(sink.out == data) << "size " << size << " got " << sink.out.size();
    }
    // A stored object cut at a chunk boundary is refused when streamed.
    std::string whole = ReadFile("stream/" + std::to_string(2 * c));
    WriteFile("stream/cut", whole.substr(0, h + stored));
    StringSink sink;
    EXPECT_EQ((*s)->GetStream("stream/cut", sink).code(), Status::Code::kCorruption);
  }
}

TEST_F(EncryptedStorageTest, AFlippedByteAnywhereFailsAuthenticationNamingTheObject) {
  auto s = Open();
  std::string data = testing::RandomBytes(2 * kEncryptionChunkBytes + 100, 1);
  ASSERT_TRUE(s->Put("v1/obj", data).ok());
  const std::string stored = ReadFile("v1/obj");
  EXPECT_EQ(stored.find(data.substr(0, 64)), std::string::npos);
  for (size_t at : {size_t{3}, size_t{10}, size_t{20}, size_t{50}, size_t{90},
                    kEncryptionHeaderBytes + 5, stored.size() / 2, stored.size() - 1}) {
    std::string bad = stored;
    bad[at] ^= 0x10;
    WriteFile("v1/obj", bad);
    auto got = s->Get("v1/obj");
    ASSERT_TRUE(got.status().code() == Status::Code::kCorruption)
        << at << " " << got.status().ToString();
    EXPECT_NE(got.status().message().find("loc/v1/obj"), std::string::npos)
        << got.status().ToString();
    testing::StringSink sink;
    EXPECT_TRUE(s->GetStream("v1/obj", sink).code() == Status::Code::kCorruption) << at;
  }
  // Truncated anywhere, also exactly at a chunk edge; and moved to another name.
  for (size_t keep :
       {size_t{10}, kEncryptionHeaderBytes + 16 + kEncryptionChunkBytes, stored.size() - 1}) {
    WriteFile("v1/obj", stored.substr(0, keep));
    EXPECT_TRUE(s->Get("v1/obj").status().code() == Status::Code::kCorruption) << keep;
  }
  WriteFile("v1/other", stored);
  auto moved = s->Get("v1/other");
  EXPECT_TRUE(moved.status().code() == Status::Code::kCorruption) << moved.status().ToString();
  EXPECT_NE(moved.status().message().find("authentication failed"), std::string::npos);
}

TEST_F(EncryptedStorageTest, AWrongMasterKeyIsRefusedBeforeAnythingIsWritten) {
  ASSERT_TRUE(Open()->Put("backupmeta", "secret").ok());
  auto wrong = OpenStorage(Url(), MapEnv({{kEncryptionKeyEnv, kKeyB}}));
  ASSERT_TRUE(wrong.status().code() == Status::Code::kFailedPrecondition)
      << wrong.status().ToString();
  EXPECT_NE(wrong.status().message().find("does not open"), std::string::npos);
  EXPECT_EQ(wrong.status().message().find(kKeyB), std::string::npos);  // no key bytes
  // No key at all: a clear error instead of ciphertext.
  auto plain = Raw()->Get("backupmeta");
  EXPECT_TRUE(plain.status().code() == Status::Code::kFailedPrecondition)
      << plain.status().ToString();
  EXPECT_NE(plain.status().message().find("is encrypted"), std::string::npos);
  // Malformed settings name the variable, never the value; other methods are refused.
  auto bad = OpenStorage(Url(), MapEnv({{kEncryptionKeyEnv, "xyz"}}));
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  auto method = OpenStorage(
      Url(), MapEnv({{kEncryptionKeyEnv, kKeyA}, {kEncryptionMethodEnv, "aes128-ctr"}}));
  EXPECT_NE(method.status().message().find("aes256-gcm, plaintext"), std::string::npos);
}

TEST_F(EncryptedStorageTest, RotationRewrapsOnlyTheKeyring) {
  ASSERT_TRUE(Open()->Put("data", "payload").ok());
  const std::string before = ReadFile("data");
  auto raw = Raw();
  ASSERT_TRUE(RotateKeyring(*raw, *HexDecode(kKeyA), *HexDecode(kKeyB)).ok());
  EXPECT_EQ(ReadFile("data"), before);  // data objects untouched
  EXPECT_EQ(*Open(kKeyB)->Get("data"), "payload");
  EXPECT_TRUE(OpenStorage(Url(), MapEnv({{kEncryptionKeyEnv, kKeyA}})).status().code() ==
              Status::Code::kFailedPrecondition);
  EXPECT_TRUE(RotateKeyring(*raw, *HexDecode(kKeyA), *HexDecode(kKeyB)).code() ==
              Status::Code::kFailedPrecondition);
}

TEST_F(EncryptedStorageTest, NodesGetTheKekNotTheMasterKey) {
  auto forwarded = ForwardedEncryptionKey(Url(), MapEnv({{kEncryptionKeyEnv, kKeyA}}));
  ASSERT_TRUE(forwarded.ok() && *forwarded);
  EXPECT_EQ(forwarded->value().find(kKeyA), std::string::npos);
  auto node = OpenStorage(Url(), MapEnv({{kEncryptionKekEnv, **forwarded}}));
  ASSERT_TRUE(node.ok());
  ASSERT_TRUE((*node)->Put("sst/1", "written by a node").ok());
  EXPECT_EQ(*Open()->Get("sst/1"), "written by a node");
  EXPECT_FALSE(*ForwardedEncryptionKey(Url(), MapEnv({})));
}

}  // namespace
}  // namespace brix::storage
