// SHA-256 hashers: the background one gives the digest of the one-shot hash whatever pieces the
// bytes arrive in, and its buffers bound what it holds.
#include "common/crypto.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/encoding.h"

namespace brix {
namespace {

// FIPS 180-2's "abc" vector.
TEST(Sha256, MatchesTheStandardsVector) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(BackgroundSha256Hasher, EqualsTheOneShotHashForEverySplitOfTheBytes) {
  std::mt19937_64 rng(20261130);
  std::string data(20'011, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  // Buffers smaller than, equal to and larger than the pieces and the whole.
  for (size_t buffer : {size_t{7}, size_t{4096}, data.size(), size_t{1 << 20}}) {
    for (size_t piece : {size_t{1}, size_t{4096}, size_t{65'536}, data.size()}) {
      BackgroundSha256Hasher h(buffer, 2);
      for (size_t at = 0; at < data.size(); at += piece) {
        h.Update(std::string_view(data).substr(at, piece));
      }
      EXPECT_EQ(HexEncode(h.Finish()), HexEncode(Sha256(data)))
          << "buffer " << buffer << ", pieces of " << piece;
    }
  }
  BackgroundSha256Hasher empty;
  EXPECT_EQ(HexEncode(empty.Finish()), HexEncode(Sha256("")));
}

TEST(BackgroundSha256Hasher, AnAbandonedHashStopsItsHelper) {
  auto h = std::make_unique<BackgroundSha256Hasher>(16, 2);
  h->Update(std::string(1000, 'x'));
  h.reset();  // no Finish: the destructor joins the helper (a leak or hang fails the test)
  SUCCEED();
}

}  // namespace
}  // namespace brix
