#include "br/log/log_metrics.h"

namespace brix::br {

namespace {

metrics::HistogramFamily& FlushDurations() {
  // 10 ms .. about 11 min by factors of 4: a flush of a busy store takes seconds.
  return metrics::Default().Histogram("brix_log_flush_duration_seconds",
                                      "Duration of a log-backup flush (upload of buffered writes "
                                      "and the checkpoint report), successful or not.",
                                      metrics::ExponentialBuckets(0.01, 4, 9), {"task"});
}

metrics::CounterFamily& Flushes() {
  return metrics::Default().Counter("brix_log_flushes_total", "Log-backup flushes by result.",
                                    {"task", "result"});
}

}  // namespace

LogTaskMetrics::LogTaskMetrics(const std::string& task, uint64_t store_id)
    : duration_(FlushDurations().WithLabels({task})),
      ok_(Flushes().WithLabels({task, "ok"})),
      failed_(Flushes().WithLabels({task, "error"})),
      files_(metrics::Default()
                 .Counter("brix_log_files_uploaded_total",
                          "Log-backup files (data and meta) this node uploaded.", {"task"})
                 .WithLabels({task})),
      bytes_(metrics::Default()
                 .Counter("brix_log_uploaded_bytes_total",
                          "Bytes of log-backup files this node uploaded.", {"task"})
                 .WithLabels({task})),
      checkpoint_(metrics::Default()
                      .Gauge("brix_log_node_checkpoint_ts",
                             "This store's checkpoint of a log task (TSO): everything up to it "
                             "is uploaded.",
                             {"task", "store"})
                      .WithLabels({task, std::to_string(store_id)})) {}

void LogTaskMetrics::Flushed(bool ok, std::chrono::steady_clock::duration took) {
  duration_.Observe(std::chrono::duration<double>(took).count());
  (ok ? ok_ : failed_).Inc();
}

}  // namespace brix::br
