// KvClient: reads and writes the cluster by key, hiding regions. It caches the region map and
// store addresses from kvpd; a request refused for routing reasons (stale epoch after a split,
// region moved, store down) refreshes the cache and is retried, with backoff, until a deadline.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/client/pd_client.h"
#include "cluster/mvcc.h"
#include "common/result.h"

namespace brix::cluster {

struct KvMutation {
  std::string key;
  bool is_delete = false;
  std::string value;
};

struct CommittedBatch {
  std::vector<KvMutation> mutations;
  uint64_t commit_ts = 0;
};

class KvClient {
 public:
  explicit KvClient(PdClient* pd,
                    std::chrono::milliseconds retry_deadline = std::chrono::seconds(30));

  // Writes the mutations; they are grouped per region, and each group is one atomic batch with
  // its own commit ts. Returns the committed groups.
  //
  // Exactly once: each group carries a write id (cluster/write_id.h) that every retry of it
  // reuses, so a group whose reply was lost (its node killed after the write was durable) is
  // answered with its original commit ts rather than written again: the commit ts returned is
  // the one the data has. Only a region error (which means "not written") frees the mutations
  // of a group to be regrouped under new ids; this relies on data never moving between stores
  // (docs/cluster.md). On failure the outcome of the groups not returned is unknown.
  [[nodiscard]] Result<std::vector<CommittedBatch>> Write(std::vector<KvMutation> mutations);
  [[nodiscard]] Result<std::optional<std::string>> Get(const std::string& key, uint64_t ts);
  // Calls `visit` for each live key in [start, end) at `ts`, in key order; stop by returning false.
  [[nodiscard]] Status Scan(const std::string& start, const std::string& end, uint64_t ts,
                            const std::function<bool(const KvPair&)>& visit);
  // Every version with from_ts < commit_ts ≤ to_ts in [start, end).
  [[nodiscard]] Status ScanVersions(const std::string& start, const std::string& end,
                                    uint64_t from_ts, uint64_t to_ts,
                                    const std::function<bool(const Version&)>& visit);
  // Waits until every store's resolved ts ≥ ts.
  [[nodiscard]] Status WaitResolved(uint64_t ts);

  PdClient* pd() { return pd_; }

 private:
  [[nodiscard]] Result<Region> Locate(const std::string& key);
  [[nodiscard]] Result<KvNode::Stub*> StubFor(uint64_t store_id);
  [[nodiscard]] Result<std::string> NewWriteId();
  void Invalidate();
  // Runs `attempt` until it succeeds or fails for a non-routing reason, refreshing on routing
  // errors. `attempt` returns true for a routing problem.
  [[nodiscard]] Status WithRetries(const std::string& what,
                                   const std::function<Result<bool>()>& attempt);

  PdClient* pd_;
  std::chrono::milliseconds retry_deadline_;
  std::mutex mu_;
  std::map<std::string, Region> regions_by_start_;  // cache
  std::map<uint64_t, std::string> store_addresses_;
  std::map<std::string, std::unique_ptr<KvNode::Stub>> stubs_;
  std::mutex id_mu_;
  uint64_t id_ts_ = 0;  // the ts write ids start with, refreshed every kWriteIdPrefixRefresh
  std::chrono::steady_clock::time_point id_ts_taken_;
  uint64_t id_sequence_ = 0;
};

}  // namespace brix::cluster
