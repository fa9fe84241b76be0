// `put` and `get-ingest`: the plain Azure halves of a snapshot backup and restore, against the
// same Azurite (or account) brix uses. Every file is one `curl` Put Blob / Get Blob request,
// `--parallel` at a time, authorised with an account SAS minted from AZURE_STORAGE_ACCOUNT /
// AZURE_STORAGE_KEY (passed to curl in its URL: this is a bench against a local emulator; the
// SAS expires in 2 hours). Blob i of a folder is <container>/<prefix>/<i>.sst. `put --crc64`
// sends each file's x-ms-content-crc64 as brix does (computed with brix's CRC-64, counted in the
// time): the same requests, so the emulator's work to verify them is on both sides.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "baselines.h"
#include "common/crc64.h"
#include "common/durable_file.h"
#include "common/encoding.h"
#include "common/env.h"
#include "common/parallel.h"
#include "common/process.h"
#include "storage/azure/sas.h"

namespace brix::bench {
namespace fs = std::filesystem;

namespace {

struct Target {
  std::string endpoint, container, prefix;
  std::string sas;
  std::string Url(size_t i) const {
    return endpoint + "/" + container + "/" + prefix + "/" + std::to_string(i) + ".sst?" + sas;
  }
};

void AddTargetOptions(CLI::App* c, Target* t) {
  c->add_option("--endpoint", t->endpoint, "blob endpoint URL (default: AZURE_STORAGE_ENDPOINT)");
  c->add_option("--container", t->container)->required();
  c->add_option("--prefix", t->prefix, "blob name prefix")->required();
}

void Authorise(Target* t) {
  auto env = ProcessEnv();
  auto account = env("AZURE_STORAGE_ACCOUNT"), key = env("AZURE_STORAGE_KEY");
  if (t->endpoint.empty()) t->endpoint = env("AZURE_STORAGE_ENDPOINT").value_or("");
  if (!account || !key || t->endpoint.empty()) {
    CheckOrDie(Status::InvalidArgument(
                   "AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY and an endpoint are required"),
               "azure");
  }
  storage::azure::AccountSasOptions o;
  o.expiry = std::chrono::system_clock::now() + std::chrono::hours(2);
  auto sas = storage::azure::GenerateAccountSas(*account, *key, o);
  CheckOrDie(sas.status(), "sas");
  t->sas = *sas;
}

Status Curl(std::vector<std::string> args) {
  std::vector<std::string> argv = {"curl", "-sS", "-f", "-H", "x-ms-version: 2023-11-03"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return Status::IOError("curl: " + r->output);
  return Status::OK();
}

}  // namespace

void AddPutCommand(CLI::App& app) {
  struct Args {
    Target target;
    std::string dir;
    int parallel = 4;
    bool crc64 = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("put", "curl Put Blob of a folder's *.sst files");
  c->add_flag("--crc64", a->crc64, "send x-ms-content-crc64 with each file, as brix does");
  c->add_option("dir", a->dir, "local folder")->required();
  c->add_option("--parallel", a->parallel, "requests at a time")->capture_default_str();
  AddTargetOptions(c, &a->target);
  c->callback([a] {
    Authorise(&a->target);
    const Target& t = a->target;
    // The container may exist from an earlier sweep step: create it and ignore a conflict.
    Curl({"-X", "PUT", "-H", "Content-Length: 0",
          t.endpoint + "/" + t.container + "?restype=container&" + t.sas})
        .IgnoreError();
    uint64_t bytes = 0;
    auto files = FilesUnder(a->dir, ".sst", &bytes);
    auto start = std::chrono::steady_clock::now();
    TaskGroup group(a->parallel);
    for (size_t i = 0; i < files.size(); ++i) {
      group.Submit([&t, &files, i, crc64 = a->crc64]() -> Status {
        std::vector<std::string> args = {"-T", files[i], "-H", "x-ms-blob-type: BlockBlob",
                                         "-H", "Expect:"};
        if (crc64) {
          BRIX_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(files[i]));
          uint64_t crc = Crc64Nvme(data);
          std::string le(8, '\0');
          for (int b = 0; b < 8; ++b) le[b] = static_cast<char>(crc >> (8 * b));
          args.push_back("-H");
          args.push_back("x-ms-content-crc64: " + Base64Encode(le));
        }
        args.push_back(t.Url(i));
        return Curl(args);
      });
    }
    CheckOrDie(group.Wait(), "put");
    std::printf("{\"parallel\":%d,\"crc64\":%s,\"files\":%zu,\"bytes\":%llu,\"seconds\":%.3f}\n",
                a->parallel, a->crc64 ? "true" : "false", files.size(),
                static_cast<unsigned long long>(bytes), SecondsSince(start));
  });
}

void AddGetIngestCommand(CLI::App& app) {
  struct Args {
    Target target;
    std::string dir, work;
    int parallel = 4, dbs = 3;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand(
      "get-ingest", "curl Get Blob of what `put` uploaded from DIR + IngestExternalFile");
  c->add_option("dir", a->dir, "the local folder `put` uploaded (names the blobs)")->required();
  c->add_option("--work", a->work, "folder for downloads and the fresh dbs")->required();
  c->add_option("--parallel", a->parallel, "requests and ingests at a time")->capture_default_str();
  c->add_option("--dbs", a->dbs, "fresh dbs (one per node)")->capture_default_str();
  AddTargetOptions(c, &a->target);
  c->callback([a] {
    Authorise(&a->target);
    const Target& t = a->target;
    uint64_t bytes = 0;
    auto files = FilesUnder(a->dir, ".sst", &bytes);
    fs::create_directories(a->work + "/staged");
    std::vector<std::string> staged(files.size());
    auto start = std::chrono::steady_clock::now();
    TaskGroup group(a->parallel);
    for (size_t i = 0; i < files.size(); ++i) {
      staged[i] = a->work + "/staged/" + std::to_string(i) + ".sst";
      group.Submit([&t, &staged, i] { return Curl({"-o", staged[i], t.Url(i)}); });
    }
    CheckOrDie(group.Wait(), "get");
    CheckOrDie(IngestInto(staged, a->work, a->dbs, a->parallel), "ingest");
    std::printf("{\"parallel\":%d,\"files\":%zu,\"bytes\":%llu,\"seconds\":%.3f}\n", a->parallel,
                files.size(), static_cast<unsigned long long>(bytes), SecondsSince(start));
  });
}

}  // namespace brix::bench
