#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "baselines.h"

namespace brix::bench {

void CheckOrDie(const Status& s, const std::string& what) {
  if (s.ok()) return;
  std::fprintf(stderr, "bench_baselines: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

std::vector<std::string> FilesUnder(const std::string& dir, const std::string& suffix,
                                    uint64_t* bytes) {
  std::vector<std::string> files;
  *bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || !e.path().string().ends_with(suffix)) continue;
    files.push_back(e.path().string());
    *bytes += e.file_size();
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace brix::bench

int main(int argc, char** argv) {
  CLI::App app{"raw baselines for bench/all.sh (one JSON line per run)"};
  app.require_subcommand(1);
  brix::bench::AddScanCommand(app);
  brix::bench::AddIngestCommand(app);
  brix::bench::AddPutCommand(app);
  brix::bench::AddGetIngestCommand(app);
  brix::bench::AddCompactCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
