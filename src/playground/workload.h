// Load and workload generators over a cluster's KvClient: `kvctl load` and `kvctl workload`, and
// the data that tests and the playground put into their clusters. In the playground layer (not
// tools/kvctl) so that tests below the tools may use them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cluster/client/kv_client.h"
#include "common/status.h"

namespace brix::playground {

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

}  // namespace brix::playground
