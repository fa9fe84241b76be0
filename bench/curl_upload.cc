// Baseline for the snapshot benchmark's Azure side: uploads every file of a folder to a blob
// container with plain `curl` Put Blob requests (one request per file, N at a time), authorised
// with an account SAS minted from AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY. The same bytes
// brix backed up, to the same Azurite, without brix.
// Usage: curl_upload --endpoint URL --container NAME [--parallel N] DIR   (prints JSON)
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "common/env.h"
#include "common/parallel.h"
#include "common/process.h"
#include "storage/azure/sas.h"

int main(int argc, char** argv) {
  CLI::App app{"curl Put Blob baseline"};
  std::string endpoint, container, dir;
  int parallel = 3;
  app.add_option("dir", dir)->required();
  app.add_option("--endpoint", endpoint)->required();
  app.add_option("--container", container)->required();
  app.add_option("--parallel", parallel);
  CLI11_PARSE(app, argc, argv);
  auto env = brix::ProcessEnv();
  auto account = env("AZURE_STORAGE_ACCOUNT"), key = env("AZURE_STORAGE_KEY");
  if (!account || !key) {
    std::fprintf(stderr, "curl_upload: AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY are required\n");
    return 2;
  }
  brix::storage::azure::AccountSasOptions o;
  o.expiry = std::chrono::system_clock::now() + std::chrono::hours(2);
  auto sas = brix::storage::azure::GenerateAccountSas(*account, *key, o);
  if (!sas.ok()) return 1;
  auto created = brix::RunCommand({"curl", "-sS", "-X", "PUT", "-H", "x-ms-version: 2023-11-03",
                                   "-H", "Content-Length: 0",
                                   endpoint + "/" + container + "?restype=container&" + *sas});
  if (!created.ok()) return 1;
  std::vector<std::filesystem::path> files;
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    files.push_back(e.path());
    bytes += e.file_size();
  }
  auto start = std::chrono::steady_clock::now();
  brix::TaskGroup group(parallel);
  int n = 0;
  for (const auto& f : files) {
    std::string url = endpoint + "/" + container + "/baseline/" + std::to_string(n++) + "?" + *sas;
    group.Submit([f, url]() -> brix::Status {
      auto r = brix::RunCommand({"curl", "-sS", "-f", "-T", f.string(), "-H",
                                 "x-ms-blob-type: BlockBlob", "-H", "x-ms-version: 2023-11-03",
                                 "-H", "Expect:", url});
      if (!r.ok()) return r.status();
      if (r->exit_code != 0) return brix::Status::IOError("curl: " + r->output);
      return brix::Status::OK();
    });
  }
  auto s = group.Wait();
  if (!s.ok()) {
    std::fprintf(stderr, "curl_upload: %s\n", s.ToString().c_str());
    return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"files\":%zu,\"bytes\":%llu,\"seconds\":%.3f}\n", files.size(),
              static_cast<unsigned long long>(bytes), secs);
  return 0;
}
