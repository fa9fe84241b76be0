// kvnode: a storage node (DESIGN §1-2). Serves the KvNode gRPC API over an MvccStore for the
// regions kvpd assigns to it, and keeps the resolved-ts promise:
//
//   resolved ts R: every write with commit_ts ≤ R is durable and visible, and no later write
//   will get a commit_ts ≤ R.
//
// How: a write takes its commit ts from kvpd while holding a shared "ts gate" and registers it
// as in flight before releasing the gate; the resolver takes the gate exclusively, fetches a
// fresh ts T, and sets R = min(T, oldest in-flight ts - 1). Writes after the resolver got T get
// a larger ts; writes before are either durable or in flight. Reads at ts wait until R ≥ ts, so
// a read never misses a write it should see.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"

namespace brix::cluster {

struct NodeOptions {
  std::string pd;        // kvpd addresses
  std::string listen;    // host:port
  std::string data_dir;  // RocksDB and the store id live here
  std::chrono::milliseconds heartbeat_interval{500};
  std::chrono::milliseconds resolve_interval{200};
  std::chrono::milliseconds gc_interval{10'000};
};

class NodeServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<NodeServer>> Start(const NodeOptions& options);
  ~NodeServer();
  uint64_t store_id() const;
  void Wait();
  void Shutdown();

  struct Impl;

 private:
  explicit NodeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brix::cluster
