// TsoBatcher: one kvpd GetTs for a batch of concurrent callers (as TiDB batches its TSO
// requests). A caller that finds no request in flight sends one for itself and everyone who
// joined so far (GetTs count = n returns the last of n consecutive timestamps) and hands each its
// own; callers arriving while a request is in flight join the next batch and wait for it. Every
// caller gets a distinct ts, issued by kvpd after the caller called Next(), with the region-map
// version current when it was issued; an error reaches every caller of that batch. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "cluster/proto/cluster.pb.h"
#include "common/result.h"

namespace brix::cluster {

class TsoBatcher {
 public:
  // `get_ts(count)`: the kvpd call (PdClient::GetTsAndRegionVersion).
  explicit TsoBatcher(std::function<Result<GetTsResponse>(uint32_t count)> get_ts)
      : get_ts_(std::move(get_ts)) {}

  // A ts of its own and the region-map version it came with.
  [[nodiscard]] Result<GetTsResponse> Next();

  // For tests: how many requests went to kvpd, and how many callers wait for the next one.
  uint64_t requests();
  uint32_t queued();

 private:
  struct Batch {
    uint32_t callers = 0;
    bool done = false;
    Result<GetTsResponse> reply = Status::Unavailable("not sent");
  };
  std::function<Result<GetTsResponse>(uint32_t)> get_ts_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::shared_ptr<Batch> open_;  // collecting callers; sent once no request is in flight
  bool in_flight_ = false;
  uint64_t requests_ = 0;
};

}  // namespace brix::cluster
