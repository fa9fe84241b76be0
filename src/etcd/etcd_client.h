// EtcdClient: brix's one way to talk to etcd (v3 gRPC API), used by kvpd for cluster metadata and
// by brixd for API objects. Keys and values are raw bytes.
//
// Every call is a linearizable request with a deadline (`Options::timeout`); transport failures
// come back as Unavailable/Timeout and are retried by the caller if it wants. Thread-safe: one
// client may be shared by all threads of a process.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace brix::etcd {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct RangeResult {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;  // the store's revision when the range was read
  bool more = false;     // true if `limit` cut the result
};

struct Event {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for a delete: key and mod_revision only
};

// Receives a batch of events (all with the same revision or increasing ones). Returning false
// stops the watch. Called on the watch's own thread.
using WatchCallback = std::function<bool(const std::vector<Event>& events)>;

// The smallest key greater than every key starting with `prefix` ("" for an empty prefix means
// "to the end").
std::string PrefixEnd(std::string_view prefix);

class Watch;

class EtcdClient {
 public:
  struct Options {
    std::chrono::milliseconds timeout{10'000};
  };

  // `endpoint` is "https://host:port" or "host:port" (the first of a comma-separated list is
  // used). The channel's security is the process's client TLS configuration (net/grpc_tls.h):
  // mutual TLS unless BRIX_INSECURE/--insecure; the scheme does not change it.
  [[nodiscard]] static Result<std::unique_ptr<EtcdClient>> Connect(const std::string& endpoint,
                                                                   Options options);
  [[nodiscard]] static Result<std::unique_ptr<EtcdClient>> Connect(const std::string& endpoint) {
    return Connect(endpoint, Options{});
  }
  ~EtcdClient();

  [[nodiscard]] Result<std::optional<KeyValue>> Get(std::string_view key);
  // Keys in [key, range_end); limit 0 = no limit; revision 0 = latest.
  [[nodiscard]] Result<RangeResult> Range(std::string_view key, std::string_view range_end,
                                          int64_t limit = 0, int64_t revision = 0);
  [[nodiscard]] Result<RangeResult> GetPrefix(std::string_view prefix, int64_t limit = 0,
                                              int64_t revision = 0);
  // Returns the revision of the write.
  [[nodiscard]] Result<int64_t> Put(std::string_view key, std::string_view value,
                                    int64_t lease = 0);
  // Returns how many keys were deleted.
  [[nodiscard]] Result<int64_t> Delete(std::string_view key);
  [[nodiscard]] Result<int64_t> DeletePrefix(std::string_view prefix);

  // Compare-and-swap on a key's mod_revision: writes only if the key's mod revision equals
  // `expected_mod_revision` (0 = the key must not exist). Returns the new revision, or
  // FailedPrecondition (with the current revision in the message) if the comparison failed.
  [[nodiscard]] Result<int64_t> PutIfModRevision(std::string_view key, std::string_view value,
                                                 int64_t expected_mod_revision, int64_t lease = 0);
  // Deletes only if the key's mod revision equals `expected_mod_revision`.
  [[nodiscard]] Status DeleteIfModRevision(std::string_view key, int64_t expected_mod_revision);

  // A condition of CommitIf: `key`'s mod (or create) revision equals `revision` (0 = absent).
  struct Guard {
    std::string key;
    int64_t revision = 0;
    bool create_revision = false;  // compare the create revision instead of the mod revision
  };
  // Several writes, all or nothing: applies `puts` (key, value) and `deletes` only if every guard
  // holds. Returns the new revision, or FailedPrecondition naming the guarded keys.
  [[nodiscard]] Result<int64_t> CommitIf(
      const std::vector<Guard>& guards,
      const std::vector<std::pair<std::string, std::string>>& puts,
      const std::vector<std::string>& deletes = {});

  // Leases: grant with a TTL, refresh once, revoke (keys attached to it are deleted).
  [[nodiscard]] Result<int64_t> GrantLease(std::chrono::seconds ttl);
  [[nodiscard]] Status KeepAliveOnce(int64_t lease);
  [[nodiscard]] Status RevokeLease(int64_t lease);

  // Watches keys starting with `prefix` from `start_revision` (0 = from now) on a background
  // thread until the returned Watch is destroyed or the callback returns false. If the revision
  // was compacted the callback is never called and Watch::error() says so.
  [[nodiscard]] Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix,
                                                           int64_t start_revision,
                                                           WatchCallback callback);

  struct Impl;

 private:
  explicit EtcdClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Watch {
 public:
  ~Watch();  // cancels the watch and joins its thread
  // Why the watch ended, if it ended on its own (compaction, lost connection); OK while running.
  Status error();
  bool running() const { return running_.load(); }

 private:
  friend class EtcdClient;
  struct State;
  std::shared_ptr<State> state_;
  std::thread thread_;
  std::atomic<bool> running_{true};
};

}  // namespace brix::etcd
