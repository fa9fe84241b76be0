#include "operator/apiserver/secret_protobuf.h"

#include <gtest/gtest.h>

namespace brix::apiserver {
namespace {

std::string Field(int number, const std::string& bytes) {
  std::string out;
  out += static_cast<char>((number << 3) | 2);
  size_t len = bytes.size();
  do {
    uint8_t b = len & 0x7f;
    len >>= 7;
    out += static_cast<char>(len ? (b | 0x80) : b);
  } while (len);
  return out + bytes;
}

std::string Entry(const std::string& k, const std::string& v) { return Field(1, k) + Field(2, v); }

// What kubectl 1.32 sends for `create secret generic azblob-secret --from-literal=...`.
std::string KubectlSecret(const std::string& long_value) {
  std::string meta = Field(1, "azblob-secret") + Field(3, "test1") + Field(11, Entry("app", "br"));
  std::string secret = Field(1, meta) + Field(2, Entry("AZURE_STORAGE_ACCOUNT", "acct")) +
                       Field(2, Entry("AZURE_STORAGE_KEY", long_value)) + Field(3, "");
  secret += std::string("\x28\x01", 2);  // immutable: true (varint field 5)
  std::string type_meta = Field(1, "v1") + Field(2, "Secret");
  return std::string("k8s\0", 4) + Field(1, type_meta) + Field(2, secret) + Field(3, "") +
         Field(4, "application/vnd.kubernetes.protobuf");
}

TEST(SecretProtobufTest, DecodesKubectlBody) {
  std::string key(300, 'k');  // a length that needs a two-byte varint
  auto secret = DecodeSecretProtobuf(KubectlSecret(key));
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ((*secret)["kind"], "Secret");
  EXPECT_EQ((*secret)["metadata"]["name"], "azblob-secret");
  EXPECT_EQ((*secret)["metadata"]["namespace"], "test1");
  EXPECT_EQ((*secret)["metadata"]["labels"]["app"], "br");
  EXPECT_EQ((*secret)["data"]["AZURE_STORAGE_ACCOUNT"], "YWNjdA==");
  EXPECT_EQ((*secret)["data"]["AZURE_STORAGE_KEY"].get<std::string>().size(), 400u);
  EXPECT_EQ((*secret)["type"], "");
  EXPECT_EQ((*secret)["immutable"], true);
}

TEST(SecretProtobufTest, RefusesOtherKindsAndGarbage) {
  std::string type_meta = Field(1, "v1") + Field(2, "ConfigMap");
  EXPECT_EQ(DecodeSecretProtobuf(std::string("k8s\0", 4) + Field(1, type_meta)).status().code(),
            Status::Code::kNotSupported);
  EXPECT_FALSE(DecodeSecretProtobuf("{\"kind\":\"Secret\"}").ok());
  std::string truncated = KubectlSecret("v");
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(DecodeSecretProtobuf(truncated).ok());
}

}  // namespace
}  // namespace brix::apiserver
