// LogTaskMetrics: a kvnode's series for one log-backup task (docs/metrics.md), looked up once
// when the task starts running on the node and updated by its flush loop without lookups. Series
// outlive the task on this node (a re-created task of the same name continues them; removing
// one while another runner of the name still holds it would leave that reference dangling): the
// checkpoint gauge of a stopped task keeps its last value; kvpd's brix_log_checkpoint_ts, which
// the alert rules use, disappears with the task.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/metrics.h"

namespace brix::br {

class LogTaskMetrics {
 public:
  LogTaskMetrics(const std::string& task, uint64_t store_id);

  // A flush ended (`ok` or not) after `took`.
  void Flushed(bool ok, std::chrono::steady_clock::duration took);
  // A data or meta file of `bytes` was uploaded.
  void Uploaded(uint64_t bytes) {
    files_.Inc();
    bytes_.Inc(static_cast<double>(bytes));
  }
  void Checkpoint(uint64_t ts) { checkpoint_.Set(static_cast<double>(ts)); }

 private:
  metrics::Histogram& duration_;
  metrics::Counter& ok_;
  metrics::Counter& failed_;
  metrics::Counter& files_;
  metrics::Counter& bytes_;
  metrics::Gauge& checkpoint_;
};

}  // namespace brix::br
