// Storage throughput against raw baselines measured in the same run:
//   local:   brix PutStream/GetStream to local storage  vs  `dd` copy of the same file
//   Azurite: brix PutStream/GetStream to Azurite        vs  `curl` Put Blob / Get Blob of the
//            same bytes to the same Azurite (authorised with a SAS the benchmark mints)
// Prints MiB/s, CPU seconds per GiB (this process for brix, the child for cp/curl; Azurite's own
// CPU is not counted for either) and brix's speed as a ratio of the baseline.
//
// Usage: storage_bench [--size-mib N] [--dir DIR]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/encoding.h"
#include "common/process.h"
#include "storage/azure/sas.h"
#include "storage/file_stream.h"
#include "storage/open_storage.h"
#include "testing/azurite.h"
#include "testing/temp_dir.h"

using namespace brix;

namespace {

struct Sample {
  double seconds = 0;
  double cpu_seconds = 0;
};

double CpuSeconds(int who) {
  rusage ru{};
  getrusage(who, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

template <typename Fn>
Sample Measure(int who, Fn&& fn) {
  double cpu0 = CpuSeconds(who);
  auto t0 = std::chrono::steady_clock::now();
  fn();
  Sample s;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.cpu_seconds = CpuSeconds(who) - cpu0;
  return s;
}

void Die(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

void RunOrDie(const std::vector<std::string>& argv) {
  auto r = brix::RunCommand(argv);
  if (!r.ok() || r->exit_code != 0)
    Die("command failed: " + argv[0] + " " + (r.ok() ? r->output : ""));
}

Sample Upload(storage::ExternalStorage& s, const std::string& file, const std::string& name) {
  return Measure(RUSAGE_SELF, [&] {
    auto src = storage::FileSource::Open(file);
    Check(src.status().ok() ? Status::OK() : src.status(), "open source");
    Check(s.PutStream(name, **src), "upload");
  });
}

Sample Download(storage::ExternalStorage& s, const std::string& name, const std::string& file) {
  return Measure(RUSAGE_SELF, [&] {
    auto sink = storage::FileSink::Create(file);
    Check(sink.status().ok() ? Status::OK() : sink.status(), "create sink");
    Check(s.GetStream(name, **sink), "download");
    Check((*sink)->Finish(), "finish download");
  });
}

void Row(const char* what, double mib, const Sample& s, const Sample* baseline) {
  double rate = mib / s.seconds;
  std::printf("%-34s %9.1f MiB/s %8.2f s %7.2f CPU-s/GiB", what, rate, s.seconds,
              s.cpu_seconds / (mib / 1024.0));
  if (baseline) std::printf("   ratio vs baseline %.2f", rate / (mib / baseline->seconds));
  std::printf("\n");
}

bool SameBytes(const std::string& a, const std::string& b) {
  auto r = brix::RunCommand({"cmp", "-s", a, b});
  return r.ok() && r->exit_code == 0;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t size_mib = 1024;
  std::string base_dir = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--size-mib") == 0)
      size_mib = std::stoull(argv[i + 1]);
    else if (std::strcmp(argv[i], "--dir") == 0)
      base_dir = argv[i + 1];
    else
      Die(std::string("unknown flag ") + argv[i] + " (accepted: --size-mib, --dir)");
  }
  const double mib = static_cast<double>(size_mib);
  setenv("TMPDIR", base_dir.c_str(), 1);
  testing::TempDir dir;
  const std::string input = dir.path() + "/input";
  RunOrDie({"dd", "if=/dev/urandom", "of=" + input, "bs=1M", "count=" + std::to_string(size_mib),
            "status=none"});
  std::printf("storage_bench: %llu MiB of random data, %s\n\n",
              static_cast<unsigned long long>(size_mib), dir.path().c_str());

  // --- local ---
  // dd, not cp: cp may clone (reflink) the file and copy nothing.
  Sample cp = Measure(RUSAGE_CHILDREN, [&] {
    RunOrDie({"dd", "if=" + input, "of=" + dir.path() + "/cp-copy", "bs=1M", "status=none"});
  });
  std::filesystem::remove(dir.path() + "/cp-copy");
  auto local = storage::OpenStorage("local://" + dir.path() + "/local-store");
  Check(local.ok() ? Status::OK() : local.status(), "open local");
  Sample lput = Upload(**local, input, "bench.bin");
  Sample lget = Download(**local, "bench.bin", dir.path() + "/local-out");
  if (!SameBytes(input, dir.path() + "/local-out")) Die("local round trip is not byte-exact");
  std::filesystem::remove_all(dir.path() + "/local-store");
  std::filesystem::remove(dir.path() + "/local-out");
  Row("baseline: dd bs=1M (no fsync)", mib, cp, nullptr);
  Row("brix local put (fsync + rename)", mib, lput, &cp);
  Row("brix local get", mib, lget, &cp);
  std::printf("\n");

  // --- Azurite --- (a fresh in-memory Azurite for each side: it slows down as it fills up)
  auto azurite = testing::AzuriteServer::Start();
  Check(azurite.ok() ? Status::OK() : azurite.status(), "start azurite");
  storage::azure::AccountSasOptions sas_opts;
  sas_opts.expiry = std::chrono::system_clock::now() + std::chrono::hours(2);
  auto sas =
      storage::azure::GenerateAccountSas(testing::kAzuriteAccount, testing::kAzuriteKey, sas_opts);
  Check(sas.ok() ? Status::OK() : sas.status(), "sas");
  auto open_azure = [&] {
    for (const auto& [k, v] : (*azurite)->SharedKeyEnv()) setenv(k.c_str(), v.c_str(), 1);
    auto az = storage::OpenStorage("azure://bench/p");
    Check(az.ok() ? Status::OK() : az.status(), "open azure");
    Check((*az)->Put("warmup", "x"), "create container");  // creates the container
    return std::move(*az);
  };
  auto az = open_azure();
  const std::string blob_url = (*azurite)->endpoint() + "/bench/curl.bin?" + *sas;
  Sample curl_put = Measure(RUSAGE_CHILDREN, [&] {
    RunOrDie({"curl", "-sS", "-f", "-T", input, "-H", "x-ms-blob-type: BlockBlob", "-H",
              "x-ms-version: 2023-11-03", "-H", "Expect:", blob_url});
  });
  Sample curl_get = Measure(RUSAGE_CHILDREN, [&] {
    RunOrDie({"curl", "-sS", "-f", "-H", "x-ms-version: 2023-11-03", "-o", dir.path() + "/curl-out",
              blob_url});
  });
  if (!SameBytes(input, dir.path() + "/curl-out")) Die("curl round trip is not byte-exact");
  std::filesystem::remove(dir.path() + "/curl-out");
  azurite->reset();
  azurite = testing::AzuriteServer::Start();
  Check(azurite.ok() ? Status::OK() : azurite.status(), "restart azurite");
  az = open_azure();
  Sample aput = Upload(*az, input, "bench.bin");
  Sample aget = Download(*az, "bench.bin", dir.path() + "/az-out");
  if (!SameBytes(input, dir.path() + "/az-out")) Die("azure round trip is not byte-exact");
  Row("baseline: curl Put Blob (1 request)", mib, curl_put, nullptr);
  Row("brix azure put (8 MiB blocks x 8)", mib, aput, &curl_put);
  Row("baseline: curl Get Blob", mib, curl_get, nullptr);
  Row("brix azure get (8 MiB ranges x 8)", mib, aget, &curl_get);
  return 0;
}
