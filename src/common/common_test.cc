#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/backoff.h"
#include "common/crc64.h"
#include "common/encoding.h"
#include "common/parallel.h"
#include "common/process.h"
#include "common/redact.h"
#include "common/result.h"
#include "common/time_util.h"

namespace brix {
namespace {

TEST(Crc64Test, CheckValuesOfBothVariants) {
  EXPECT_EQ(Crc64Xz("123456789"), 0x995DC9BBDF1939FAULL);
  EXPECT_EQ(Crc64Nvme("123456789"), 0xAE8B14860A799888ULL);
  EXPECT_EQ(Crc64Nvme(""), 0u);
}

TEST(Crc64Test, AzureHeaderForm) {
  // Documented values of base64(little-endian CRC-64/NVME) (Azure Blob REST API documentation).
  EXPECT_EQ(Base64Encode(LittleEndian64(Crc64Nvme("123456789"))), "iJh5CoYUi64=");
  EXPECT_EQ(Base64Encode(LittleEndian64(Crc64Nvme("Hello, Azurite!"))), "CtDtDh62Zm4=");
}

TEST(Crc64Test, StreamingEqualsOneShotAtEverySplit) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t split = 0; split <= data.size(); split += 37) {
    std::string_view a(data.data(), split), b(data.data() + split, data.size() - split);
    EXPECT_EQ(Crc64Xz(b, Crc64Xz(a)), Crc64Xz(data));
    EXPECT_EQ(Crc64Nvme(b, Crc64Nvme(a)), Crc64Nvme(data));
  }
}

// Bit at a time, straight from the definition: the reference for the fast paths.
uint64_t Crc64BitwiseReference(uint64_t reflected_poly, std::string_view data, uint64_t crc) {
  crc = ~crc;
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ reflected_poly : crc >> 1;
  }
  return ~crc;
}

TEST(Crc64Test, EveryLengthOffsetAndSeedMatchesTheBitwiseDefinition) {
  std::string data;
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 5000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    data.push_back(static_cast<char>(x));
  }
  for (size_t len : {0, 1, 15, 64, 127, 128, 129, 143, 191, 192, 255, 256, 1000, 1023, 4096}) {
    for (size_t offset : {0, 1, 7, 13}) {
      std::string_view piece(data.data() + offset, len);
      for (uint64_t seed : {0ull, 0x0123456789abcdefull}) {
        EXPECT_EQ(Crc64Xz(piece, seed), Crc64BitwiseReference(0xC96C5795D7870F42ULL, piece, seed))
            << len << " " << offset;
        EXPECT_EQ(Crc64Nvme(piece, seed), Crc64BitwiseReference(0x9A6C9329AC4BC9B5ULL, piece, seed))
            << len << " " << offset;
      }
    }
  }
}

TEST(EncodingTest, Base64RoundTripsAndRejectsGarbage) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_FALSE(Base64Decode("abc").has_value());
  EXPECT_FALSE(Base64Decode("ab-_").has_value());  // base64url is not accepted
}

TEST(EncodingTest, PercentEncoding) {
  EXPECT_EQ(PercentEncode("a b+c/d%", false), "a%20b%2Bc%2Fd%25");
  EXPECT_EQ(PercentEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(*PercentDecode("a%20b%2Bc"), "a b+c");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_FALSE(PercentDecode("%2").has_value());
  EXPECT_FALSE(PercentDecode("%zz").has_value());
}

TEST(TimeTest, Rfc1123AndIso8601) {
  auto t = std::chrono::system_clock::from_time_t(1704067200);  // 2024-01-01T00:00:00Z
  EXPECT_EQ(FormatRfc1123(t), "Mon, 01 Jan 2024 00:00:00 GMT");
  EXPECT_EQ(FormatIso8601(t), "2024-01-01T00:00:00Z");
  EXPECT_EQ(ParseIso8601Utc("2024-01-01T00:00:00Z"), t);
  EXPECT_EQ(ParseIso8601Utc("2024-01-01T00:00:00.123Z"), t);
  EXPECT_FALSE(ParseIso8601Utc("2024-01-01 00:00:00").has_value());
}

TEST(StatusTest, CodesContextAndResult) {
  Status s = Status::NotFound("x").WithContext("reading y");
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.ToString(), "NotFound: reading y: x");
  EXPECT_TRUE(Status::Unavailable("").IsRetryable());
  EXPECT_FALSE(Status::InvalidArgument("").IsRetryable());
  Result<int> r = Status::Timeout("t");
  EXPECT_FALSE(r.ok());
  Result<int> v = 5;
  EXPECT_EQ(*v, 5);
}

TEST(BackoffTest, GrowsWithJitterAndHonoursHintsAndCap) {
  Backoff b({.max_attempts = 5,
             .base_delay = std::chrono::milliseconds(100),
             .max_delay = std::chrono::milliseconds(1000)},
            42);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto d = b.DelayAfter(attempt).count();
    double nominal = 100.0 * (1 << (attempt - 1));
    EXPECT_GE(d, std::min(1000.0, nominal * 0.8) - 1);
    EXPECT_LE(d, std::min(1000.0, nominal * 1.3));
  }
  EXPECT_EQ(b.DelayAfter(1, std::chrono::milliseconds(250)).count(), 250);
  EXPECT_EQ(b.DelayAfter(1, std::chrono::milliseconds(5000)).count(), 1000);
  EXPECT_TRUE(b.ShouldRetry(4));
  EXPECT_FALSE(b.ShouldRetry(5));
}

constexpr BackoffOptions kFastRetries{.max_attempts = 4,
                                      .base_delay = std::chrono::milliseconds(1),
                                      .max_delay = std::chrono::milliseconds(2)};

TEST(RetryWithBackoffTest, RetriesUntilSuccessNumberingEachTry) {
  std::vector<int> tries, failures;
  Status s = RetryWithBackoff(
      kFastRetries,
      [&](int n) {
        tries.push_back(n);
        return n < 3 ? Status::Unavailable("busy") : Status::OK();
      },
      RetryAnyError, [&](int n, const Status&) { failures.push_back(n); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(tries, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(failures, (std::vector<int>{1, 2}));
}

TEST(RetryWithBackoffTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  int tries = 0;
  Status s = RetryWithBackoff(kFastRetries, [&](int n) {
    ++tries;
    return Status::IOError("try " + std::to_string(n));
  });
  EXPECT_EQ(tries, 4);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_EQ(s.message(), "try 4");
}

TEST(RetryWithBackoffTest, AFinalErrorIsReturnedAtOnce) {
  int tries = 0;
  Status s = RetryWithBackoff(
      kFastRetries,
      [&](int) {
        ++tries;
        return Status::Corruption("bad checksum");
      },
      [](const Status& e) { return e.IsRetryable(); });
  EXPECT_EQ(tries, 1);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
}

TEST(TaskGroupTest, BoundsParallelismAndKeepsFirstError) {
  TaskGroup group(3);
  std::atomic<int> running{0}, peak{0}, done{0};
  for (int i = 0; i < 20; ++i) {
    group.Submit([&, i]() -> Status {
      int now = ++running;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      --running;
      ++done;
      return i == 7 ? Status::IOError("task 7") : Status::OK();
    });
  }
  Status s = group.Wait();
  EXPECT_LE(peak.load(), 3);
  EXPECT_EQ(s.message(), "task 7");
}

TEST(RedactTest, SecretsInQueriesAreHidden) {
  std::string r =
      RedactUrl("azure://c/p?account-name=acc&sas-token=sv%3D1%26sig%3Dabc&account-key=K");
  EXPECT_EQ(r, "azure://c/p?account-name=acc&sas-token=REDACTED&account-key=REDACTED");
  EXPECT_EQ(RedactUrl("http://h/x?a=1&sig=zzz"), "http://h/x?a=1&sig=REDACTED");
  EXPECT_EQ(RedactUrl("local:///tmp/x"), "local:///tmp/x");
}

TEST(LogTail, GivesTheLastLinesOfAFileAndNothingForAMissingOne) {
  const std::string path =
      std::filesystem::temp_directory_path() / ("log-tail-" + std::to_string(::getpid()));
  std::ofstream(path) << "one\ntwo\nthree\nfour\n";
  EXPECT_EQ(LogTail(path, 2), "three\nfour\n");
  EXPECT_EQ(LogTail(path, 9), "one\ntwo\nthree\nfour\n");
  std::filesystem::remove(path);
  EXPECT_EQ(LogTail(path, 2), "");
}

}  // namespace
}  // namespace brix
