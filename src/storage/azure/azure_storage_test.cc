// The Azure driver against a real Azurite (started per test on a free loopback port).
#include "storage/azure/azure_storage.h"

#include <gtest/gtest.h>

#include <mutex>
#include <random>

#include "common/durable_file.h"
#include "common/encoding.h"
#include "common/time_util.h"
#include "storage/azure/credential.h"
#include "storage/azure/sas.h"
#include "storage/file_stream.h"
#include "storage/open_storage.h"
#include "storage/storage_conformance.h"
#include "testing/azurite.h"
#include "testing/temp_dir.h"

namespace brix::storage {
namespace {

using brix::testing::AzuriteServer;

BackoffOptions FastBackoff() {
  return {.max_attempts = 30,
          .base_delay = std::chrono::milliseconds(2),
          .max_delay = std::chrono::milliseconds(20)};
}

class AzureStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = AzuriteServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    azurite_ = std::move(*server);
  }

  // Opens azure://test/<prefix><params> with the shared key, through OpenStorage.
  std::unique_ptr<ExternalStorage> Open(const std::string& prefix, const std::string& params = "",
                                        std::map<std::string, std::string> extra_env = {}) {
    auto env = azurite_->SharedKeyEnv();
    for (auto& [k, v] : extra_env) env[k] = v;
    auto s = OpenStorage("azure://test/" + prefix + params, MapEnv(env));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Sends a HEAD signed with the shared key and returns the response headers (tier checks).
  std::map<std::string, std::string> RawHead(const std::string& blob) {
    azure::BlobRequest r;
    r.method = "HEAD";
    r.path = "/" + std::string(brix::testing::kAzuriteAccount) + "/test/" + blob;
    r.headers = {{"x-ms-date", FormatRfc1123(std::chrono::system_clock::now())},
                 {"x-ms-version", kAzureApiVersion}};
    auto cred =
        azure::MakeSharedKeyCredential(brix::testing::kAzuriteAccount, brix::testing::kAzuriteKey);
    EXPECT_TRUE(cred->Authorize(r).ok());
    net::CurlTransport transport;
    net::HttpRequest http{r.method,
                          r.BuildUrl("http://127.0.0.1:" + std::to_string(azurite_->port())),
                          r.headers,
                          {},
                          {}};
    auto resp = transport.Send(http);
    EXPECT_TRUE(resp.ok());
    return resp.ok() ? resp->headers : std::map<std::string, std::string>{};
  }

  // Opens `url` with the shared key through `transport` and creates the container with one Put
  // (tests count the requests after it).
  std::unique_ptr<ExternalStorage> OpenThrough(const std::string& url,
                                               std::shared_ptr<net::HttpTransport> transport) {
    auto parsed = ParseStorageUrl(url);
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) return nullptr;
    auto cfg = ResolveAzureConfig(*parsed, MapEnv(azurite_->SharedKeyEnv()));
    EXPECT_TRUE(cfg.ok());
    if (!cfg.ok()) return nullptr;
    auto s = OpenAzureStorage(*cfg, std::move(transport), FastBackoff());
    EXPECT_TRUE(s.ok() && (*s)->Put("warm", "x").ok());
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::unique_ptr<AzuriteServer> azurite_;
};

TEST_F(AzureStorageTest, BasicOperationsIncludingMultiBlockObject) {
  // 70 MiB > single-put-max (set to 32 MiB): goes up as 9 parallel blocks plus a block list.
  auto s = Open("basic", "?single-put-max=32MiB");
  ASSERT_TRUE(s);
  testing::CheckBasicOperations(*s, 70 << 20);
}

TEST_F(AzureStorageTest, StreamingUploadsSingleShotAndMultiBlock) {
  auto small_blocks = Open("stream", "?block-size=1MiB&concurrency=4");
  ASSERT_TRUE(small_blocks);
  testing::CheckStreaming(*small_blocks, (5 << 20) + 3);  // six blocks, last one short
  auto one_shot = Open("stream1");
  testing::CheckStreaming(*one_shot, 1000);
}

TEST_F(AzureStorageTest, ListingMoreThan5000ObjectsAcrossPages) {
  auto s = Open("list");
  ASSERT_TRUE(s);
  // Deleting all 5,200 took Azurite 71 s (it deletes about 75 blobs a second, puts 350): one
  // folder of 7 is enough to check DeletePrefix here; local storage deletes 5,200 across pages.
  testing::CheckListing(*s, 5200, 1000, "many/00/");
}

TEST_F(AzureStorageTest, AwkwardNamesRoundTrip) {
  auto s = Open("names with space");
  ASSERT_TRUE(s);
  std::vector<std::string> names = {"a b/c+d", "pct%41", "ünï/cødé", "q?x#y", "x=1&y=2"};
  for (auto& n : names) ASSERT_TRUE(s->Put(n, n).ok()) << n;
  for (auto& n : names) EXPECT_EQ(*s->Get(n), n);
  auto all = s->ListAll("");
  ASSERT_TRUE(all.ok());
  std::vector<std::string> listed;
  for (auto& o : *all) listed.push_back(o.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(listed, names);
}

TEST_F(AzureStorageTest, SasTheTestGeneratesIsHonouredWithItsPermissions) {
  azure::AccountSasOptions rw;
  rw.expiry = std::chrono::system_clock::now() + std::chrono::hours(1);
  auto token =
      azure::GenerateAccountSas(brix::testing::kAzuriteAccount, brix::testing::kAzuriteKey, rw);
  ASSERT_TRUE(token.ok());
  std::map<std::string, std::string> env = {
      {"AZURE_STORAGE_ACCOUNT", brix::testing::kAzuriteAccount}};
  std::string base = "azure://test/sas?endpoint=" + PercentEncode(azurite_->endpoint());
  auto s = OpenStorage(base + "&sas-token=" + PercentEncode(*token), MapEnv(env));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  testing::CheckBasicOperations(**s, 40 << 20);

  azure::AccountSasOptions ro = rw;
  ro.permissions = "rl";
  env["AZURE_STORAGE_SAS_TOKEN"] =
      *azure::GenerateAccountSas(brix::testing::kAzuriteAccount, brix::testing::kAzuriteKey, ro);
  auto reader = OpenStorage(base, MapEnv(env));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*(*reader)->Get("basic/lock"), "owner-1");
  Status denied = (*reader)->Put("nope", "x");
  EXPECT_EQ(denied.code(), Status::Code::kPermissionDenied) << denied.ToString();
  EXPECT_NE(denied.message().find("HTTP 403"), std::string::npos);

  azure::AccountSasOptions expired = rw;
  expired.expiry = std::chrono::system_clock::now() - std::chrono::hours(1);
  env["AZURE_STORAGE_SAS_TOKEN"] = *azure::GenerateAccountSas(brix::testing::kAzuriteAccount,
                                                              brix::testing::kAzuriteKey, expired);
  auto stale = OpenStorage(base, MapEnv(env));
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().message().find("expired"), std::string::npos);
}

TEST_F(AzureStorageTest, AccessTierIsSetOnUploadAndReadBack) {
  for (std::string tier : {"Cool", "Cold"}) {
    auto s = Open("tier" + tier, "?access-tier=" + tier);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->Put("small", "x").ok());
    ASSERT_TRUE(s->Put("large", testing::RandomBytes(33 << 20, 1)).ok());  // via block list
    EXPECT_EQ(RawHead("tier" + tier + "/small")["x-ms-access-tier"], tier);
    EXPECT_EQ(RawHead("tier" + tier + "/large")["x-ms-access-tier"], tier);
  }
}

TEST_F(AzureStorageTest, WrongKeyIsRefusedWithoutLeakingIt) {
  const std::string wrong_key = Base64Encode("definitely-not-the-key-0123456789");
  auto s = Open("x", "", {{"AZURE_STORAGE_KEY", wrong_key}});
  ASSERT_TRUE(s);
  Status st = s->Put("obj", "data");
  EXPECT_EQ(st.code(), Status::Code::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("AuthorizationFailure"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("request id"), std::string::npos);
  EXPECT_EQ(st.message().find(wrong_key), std::string::npos);
}

// An HTTP transport that injects faults between the driver and Azurite: error responses with a
// Retry-After hint, connections dropped after the request was served (ambiguous outcome), and
// bodies cut short. Seeded, so a failure replays.
class FaultyTransport final : public net::HttpTransport {
 public:
  FaultyTransport(double rate, uint64_t seed) : rate_(rate), rng_(seed) {}
  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    int fault = Pick();
    if (fault == 1) {
      ++injected_;
      net::HttpResponse busy;
      busy.status = 503;
      busy.headers["x-ms-error-code"] = "ServerBusy";
      busy.headers["retry-after-ms"] = "1";
      return busy;
    }
    Result<net::HttpResponse> r = inner_.Send(request);
    if (fault == 2) {
      ++injected_;
      return Status::Unavailable("injected: connection reset after the request was served");
    }
    if (fault == 3 && r.ok() && r->body.size() > 1) {
      ++injected_;
      r->body.resize(r->body.size() / 2);  // the body stops early; Content-Length says more
    }
    return r;
  }
  int injected() const { return injected_; }

 private:
  int Pick() {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::uniform_real_distribution<double>(0, 1)(rng_) >= rate_) return 0;
    return std::uniform_int_distribution<int>(1, 3)(rng_);
  }
  net::CurlTransport inner_;
  double rate_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  std::atomic<int> injected_{0};
};

TEST_F(AzureStorageTest, EveryOperationSucceedsWithTwentyPercentHttpFaults) {
  auto parsed = ParseStorageUrl("azure://test/faults?block-size=1MiB&concurrency=4");
  ASSERT_TRUE(parsed.ok());
  auto cfg = ResolveAzureConfig(*parsed, MapEnv(azurite_->SharedKeyEnv()));
  ASSERT_TRUE(cfg.ok());
  cfg->transfer.single_put_max = 2 << 20;
  auto faulty = std::make_shared<FaultyTransport>(0.2, 20261124);
  auto s = OpenAzureStorage(*cfg, faulty, FastBackoff());
  ASSERT_TRUE(s.ok());
  testing::CheckBasicOperations(**s, 9 << 20);
  testing::CheckStreaming(**s, 6 << 20);        // blocks
  testing::CheckStreaming(**s, (1 << 20) + 7);  // a file's one streamed Put Blob, rewound per try
  testing::CheckListing(**s, 400, 100);
  EXPECT_GT(faulty->injected(), 50);
}

TEST_F(AzureStorageTest, StorageLevelFaultsAreRetriedByOpenStorage) {
  auto s = Open("sfaults", "", {{"BRIX_STORAGE_FAULTS", "rate=0.3,seed=5"}});
  ASSERT_TRUE(s);
  EXPECT_NE(s->Describe().find("faults injected"), std::string::npos);
  testing::CheckBasicOperations(*s, 1 << 20);
}

// Passes requests to Azurite and records, per PUT, whether its body was streamed and its size.
class PutRecordingTransport final : public net::HttpTransport {
 public:
  struct Put {
    bool streamed;
    uint64_t size;
  };
  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    if (request.method == "PUT") {
      std::lock_guard<std::mutex> lock(mu_);
      puts_.push_back({static_cast<bool>(request.body_reader),
                       request.body_reader ? request.body_size : request.body.size()});
    }
    return inner_.Send(request);
  }
  std::vector<Put> puts() {
    std::lock_guard<std::mutex> lock(mu_);
    return puts_;
  }

 private:
  net::CurlTransport inner_;
  std::mutex mu_;
  std::vector<Put> puts_;
};

TEST_F(AzureStorageTest, AFileUpToSinglePutMaxGoesUpAsOnePutBlobStreamedFromIt) {
  auto transport = std::make_shared<PutRecordingTransport>();
  auto s = OpenThrough("azure://test/streamed?block-size=1MiB", transport);
  ASSERT_TRUE(s);
  const size_t before = transport->puts().size();

  std::string data = testing::RandomBytes((5 << 20) + 11, 3);  // five 1 MiB blocks and more
  testing::StringSource file(data, 1 << 16, /*known_size=*/true, /*rewinds=*/true);
  ASSERT_TRUE(s->PutStream("one", file).ok());
  auto puts = transport->puts();
  ASSERT_EQ(puts.size(), before + 1) << "one Put Blob, no blocks";
  EXPECT_TRUE(puts.back().streamed) << "sent from the source, not a copy in memory";
  EXPECT_EQ(puts.back().size, data.size());
  EXPECT_GE(file.rewinds_done, 2) << "a CRC pass, then the body";
  EXPECT_EQ(*s->Get("one"), data);

  // A pipe (no rewind) of the same size still goes up, as blocks.
  testing::StringSource pipe(data, 1 << 16, /*known_size=*/true, /*rewinds=*/false);
  ASSERT_TRUE(s->PutStream("pipe", pipe).ok());
  EXPECT_GT(transport->puts().size(), before + 2);
  EXPECT_EQ(*s->Get("pipe"), data);
}

TEST_F(AzureStorageTest, ALocalFileGoesUpFromItsMappingAsOnePutBlobOrAsBlocks) {
  auto transport = std::make_shared<PutRecordingTransport>();
  auto s = OpenThrough("azure://test/mapped?block-size=1MiB&single-put-max=2MiB", transport);
  ASSERT_TRUE(s);
  brix::testing::TempDir dir;
  for (size_t size : {size_t{(2 << 20) - 5}, size_t{(5 << 20) + 11}}) {
    const size_t before = transport->puts().size();
    std::string data = testing::RandomBytes(size, 5);
    const std::string path = dir.path() + "/f" + std::to_string(size);
    ASSERT_TRUE(WriteFileDurably(path, data).ok());
    auto file = FileSource::Open(path);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(s->PutStream("f", **file).ok());
    auto puts = transport->puts();
    const size_t requests = size <= (2 << 20) ? 1 : 6 + 1;  // one Put Blob; or blocks + list
    ASSERT_EQ(puts.size(), before + requests) << size;
    EXPECT_FALSE(puts[before].streamed) << "sent from the mapping, not read through a stream";
    EXPECT_EQ(*s->Get("f"), data) << size;
  }
}

// Claims more bytes than it has: a file that shrank between stat and upload.
class ShrunkSource final : public ByteSource {
 public:
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min<size_t>(n, 500 - pos_);
    std::fill(buf, buf + k, 'x');
    pos_ += k;
    return k;
  }
  std::optional<uint64_t> Size() const override { return 1000; }
  Status Rewind() override {
    pos_ = 0;
    return Status::OK();
  }

 private:
  size_t pos_ = 0;
};

TEST_F(AzureStorageTest, AFileThatChangedSizeIsRefusedAndNothingIsWritten) {
  auto s = Open("shrunk");
  ASSERT_TRUE(s);
  ShrunkSource source;
  Status put = s->PutStream("gone", source);
  EXPECT_EQ(put.code(), Status::Code::kFailedPrecondition) << put.ToString();
  EXPECT_NE(put.message().find("changed"), std::string::npos) << put.ToString();
  EXPECT_TRUE(s->Stat("gone").status().IsNotFound());
}

// Answers every request itself (no network) and records the deadline each GET was sent with.
class DeadlineRecordingTransport final : public net::HttpTransport {
 public:
  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    if (request.method == "GET") {
      std::lock_guard<std::mutex> lock(mu_);
      get_timeouts_.push_back(request.timeout);
    }
    net::HttpResponse r;
    r.status = 200;
    r.body = "abc";
    r.headers["content-length"] = "3";
    return r;
  }
  std::vector<std::chrono::milliseconds> get_timeouts() {
    std::lock_guard<std::mutex> lock(mu_);
    return get_timeouts_;
  }

 private:
  std::mutex mu_;
  std::vector<std::chrono::milliseconds> get_timeouts_;
};

TEST(AzureDeadlineTest, GetDeadlinesScaleWithTheRequestedRangeAndUnknownSizesRelyOnTheStallLimit) {
  auto parsed = ParseStorageUrl("azure://test/deadlines");
  ASSERT_TRUE(parsed.ok());
  auto cfg = ResolveAzureConfig(
      *parsed, MapEnv({{"AZURE_STORAGE_CONNECTION_STRING",
                        std::string("DefaultEndpointsProtocol=http;AccountName=") +
                            brix::testing::kAzuriteAccount + ";AccountKey=" +
                            brix::testing::kAzuriteKey + ";BlobEndpoint=http://127.0.0.1:9/x;"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto transport = std::make_shared<DeadlineRecordingTransport>();
  auto s = OpenAzureStorage(*cfg, transport, FastBackoff());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Get("small", ByteRange{0, 3}).ok());
  ASSERT_TRUE((*s)->Get("big", ByteRange{0, uint64_t{4} << 30}).ok());
  ASSERT_TRUE((*s)->Get("whole", std::nullopt).ok());
  auto t = transport->get_timeouts();
  ASSERT_EQ(t.size(), 3u);
  // A floor for small reads; 4 GiB at no less than 1 MiB/s is over an hour.
  EXPECT_GE(t[0], std::chrono::seconds(30));
  EXPECT_LE(t[0], std::chrono::minutes(5));
  EXPECT_GE(t[1], t[0] + std::chrono::seconds(4096));
  // Size unknown: no total deadline, the transport's stall limit ends a dead transfer.
  EXPECT_EQ(t[2], net::kNoTotalDeadline);
}

}  // namespace
}  // namespace brix::storage
