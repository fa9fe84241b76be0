// kvctl subcommands that do more than one call: load and workload.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cluster/client/kv_client.h"
#include "common/status.h"

namespace brix::tools {

struct LoadArgs {
  std::vector<std::string> tables;  // DB.TABLE each; created if missing
  uint64_t rows = 0;                // per table
  size_t value_size = 256;
  int threads = 4;
  uint64_t seed = 1;
  size_t batch = 256;
};
[[nodiscard]] Status RunLoad(cluster::KvClient& kv, const LoadArgs& args);

struct WorkloadArgs {
  std::vector<std::string> tables;
  std::chrono::milliseconds duration{30'000};
  double rate = 0;  // operations per second in total; 0 = as fast as possible
  uint64_t seed = 1;
  int threads = 4;
  std::string oracle;
};
[[nodiscard]] Status RunWorkload(cluster::KvClient& kv, const WorkloadArgs& args);

}  // namespace brix::tools
