#include "tools/brix/storage_command.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "storage/file_stream.h"
#include "storage/open_storage.h"
#include "tools/cli_exit.h"

namespace brix::tools {
namespace {

struct StorageArgs {
  std::string url;
  std::string name;
  std::string file;
  std::string prefix;
  bool recursive = false;
  bool if_absent = false;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void PrintRate(const char* verb, uint64_t bytes, double secs) {
  double mib = static_cast<double>(bytes) / (1 << 20);
  std::fprintf(stderr, "%s %llu bytes in %.2f s (%.1f MiB/s)\n", verb,
               static_cast<unsigned long long>(bytes), secs, secs > 0 ? mib / secs : 0.0);
}

int RunLs(const StorageArgs& a) {
  auto storage = storage::OpenStorage(a.url);
  if (!storage.ok()) return ExitCode(storage.status());
  auto objects = (*storage)->ListAll(a.prefix);
  if (!objects.ok()) return ExitCode(objects.status());
  for (const auto& o : *objects)
    std::printf("%12llu  %s\n", static_cast<unsigned long long>(o.size), o.name.c_str());
  return 0;
}

int RunPut(const StorageArgs& a) {
  auto storage = storage::OpenStorage(a.url);
  if (!storage.ok()) return ExitCode(storage.status());
  auto source = storage::FileSource::Open(a.file);
  if (!source.ok()) return ExitCode(source.status());
  auto start = std::chrono::steady_clock::now();
  Status s;
  if (a.if_absent) {
    // Create-only writes are whole-object (they are meant for small lock objects).
    std::string data;
    char buf[1 << 16];
    for (;;) {
      auto n = (*source)->Read(buf, sizeof(buf));
      if (!n.ok()) return ExitCode(n.status());
      if (*n == 0) break;
      data.append(buf, *n);
    }
    s = (*storage)->Put(a.name, data, {.if_absent = true});
  } else {
    s = (*storage)->PutStream(a.name, **source);
  }
  if (!s.ok()) return ExitCode(s);
  auto info = (*storage)->Stat(a.name);
  if (!info.ok()) return ExitCode(info.status());
  PrintRate("uploaded", info->size, Seconds(start));
  return 0;
}

int RunGet(const StorageArgs& a) {
  auto storage = storage::OpenStorage(a.url);
  if (!storage.ok()) return ExitCode(storage.status());
  auto sink = storage::FileSink::Create(a.file);
  if (!sink.ok()) return ExitCode(sink.status());
  auto start = std::chrono::steady_clock::now();
  // Count bytes on the way through for the summary line.
  struct Counting final : storage::ByteSink {
    explicit Counting(storage::ByteSink& inner) : inner(inner) {}
    Status Write(std::string_view d) override {
      bytes += d.size();
      return inner.Write(d);
    }
    storage::ByteSink& inner;
    uint64_t bytes = 0;
  } counting(**sink);
  Status s = (*storage)->GetStream(a.name, counting);
  if (!s.ok()) return ExitCode(s);
  s = (*sink)->Finish();
  if (!s.ok()) return ExitCode(s);
  PrintRate("downloaded", counting.bytes, Seconds(start));
  return 0;
}

int RunRm(const StorageArgs& a) {
  auto storage = storage::OpenStorage(a.url);
  if (!storage.ok()) return ExitCode(storage.status());
  if (a.recursive) {
    auto n = (*storage)->DeletePrefix(a.name);
    if (!n.ok()) return ExitCode(n.status());
    std::fprintf(stderr, "deleted %llu objects\n", static_cast<unsigned long long>(*n));
    return 0;
  }
  auto exists = (*storage)->Exists(a.name);
  if (!exists.ok()) return ExitCode(exists.status());
  if (!*exists) return ExitCode(Status::NotFound("object '" + a.name + "' does not exist"));
  Status s = (*storage)->Delete(a.name);
  return s.ok() ? 0 : ExitCode(s);
}

int RunStat(const StorageArgs& a) {
  auto storage = storage::OpenStorage(a.url);
  if (!storage.ok()) return ExitCode(storage.status());
  auto info = (*storage)->Stat(a.name);
  if (!info.ok()) return ExitCode(info.status());
  std::printf("%s %llu\n", info->name.c_str(), static_cast<unsigned long long>(info->size));
  return 0;
}

}  // namespace

void AddStorageCommands(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<StorageArgs>();
  CLI::App* storage = app.add_subcommand("storage", "Look into and manage a backup location");
  storage->require_subcommand(1);
  auto url_option = [&](CLI::App* cmd) {
    cmd->add_option("-s,--storage", args->url,
                    "Location: local:///path, a plain path, or azure://container/prefix")
        ->required();
  };

  CLI::App* ls = storage->add_subcommand("ls", "List objects (size and name) under a prefix");
  url_option(ls);
  ls->add_option("prefix", args->prefix, "Only names starting with this");
  ls->callback([=] { *exit_code = RunLs(*args); });

  CLI::App* put = storage->add_subcommand("put", "Upload a local file (or - for stdin)");
  url_option(put);
  put->add_option("file", args->file, "Local file, or - for standard input")->required();
  put->add_option("name", args->name, "Object name below the location")->required();
  put->add_flag("--if-absent", args->if_absent, "Fail if the object exists (create-only)");
  put->callback([=] { *exit_code = RunPut(*args); });

  CLI::App* get = storage->add_subcommand("get", "Download an object to a file (or - for stdout)");
  url_option(get);
  get->add_option("name", args->name, "Object name below the location")->required();
  get->add_option("file", args->file, "Local file, or - for standard output")->required();
  get->callback([=] { *exit_code = RunGet(*args); });

  CLI::App* rm = storage->add_subcommand("rm", "Delete an object (or, with -r, a whole prefix)");
  url_option(rm);
  rm->add_option("name", args->name, "Object name (or prefix with -r)")->required();
  rm->add_flag("-r,--recursive", args->recursive, "Delete every object under the prefix");
  rm->callback([=] { *exit_code = RunRm(*args); });

  CLI::App* stat = storage->add_subcommand("stat", "Print an object's size");
  url_option(stat);
  stat->add_option("name", args->name, "Object name below the location")->required();
  stat->callback([=] { *exit_code = RunStat(*args); });
}

}  // namespace brix::tools
