// kvnode: a storage node (docs/architecture.md#processes, docs/cluster.md). Serves the KvNode gRPC
// API over an MvccStore for the regions kvpd assigns to it, and keeps the resolved-ts promise:
//
//   resolved ts R: every write with commit_ts ≤ R is durable and visible, and no later write
//   will get a commit_ts ≤ R.
//
// How: a write takes its commit ts from kvpd while holding a shared "ts gate" and registers it
// as in flight before releasing the gate (concurrent writes share one kvpd request:
// cluster/client/tso_batcher.h; each waits for it holding the gate); the resolver takes the gate
// exclusively, fetches a fresh ts T, and sets R = min(T, oldest in-flight ts - 1). Writes after the
// resolver got T get a larger ts; writes before are either durable or in flight. Reads at ts wait
// until R ≥ ts, so a read never misses a write it should see.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/proto/cluster.pb.h"
#include "common/result.h"
#include "net/grpc_tls.h"

namespace brix::cluster {

class MvccStore;
class PdClient;
struct MvccMutation;

// Sees every committed batch before its ts can count as resolved, so an observer that records
// it has seen every write ≤ the resolved ts. Called on the write path: must be quick.
using WriteObserver =
    std::function<void(const std::vector<MvccMutation>& mutations, uint64_t commit_ts)>;

// What a node offers to the services that run inside it (backup, import, log backup): they are
// built outside this library (src/br/) and plugged in through NodeOptions::services.
class NodeContext {
 public:
  virtual ~NodeContext() = default;
  virtual MvccStore* store() = 0;
  virtual PdClient* pd() = 0;
  virtual uint64_t store_id() const = 0;
  // A folder of the node's own for temporary and staged files.
  virtual std::string work_dir() const = 0;
  // The region if this store owns it at `epoch`. Aborted (a routing error: re-locate and retry)
  // if the region moved, split or is unknown.
  [[nodiscard]] virtual Result<Region> OwnedRegion(uint64_t region_id, uint64_t epoch) = 0;
  // Waits until the resolved ts reaches `ts`; Timeout after `timeout`.
  [[nodiscard]] virtual Status WaitResolved(uint64_t ts, std::chrono::milliseconds timeout) = 0;
  virtual uint64_t ResolvedTs() = 0;
  // Returns an id for RemoveWriteObserver.
  virtual int AddWriteObserver(WriteObserver observer) = 0;
  virtual void RemoveWriteObserver(int id) = 0;
};

using NodeServiceFactory = std::function<std::unique_ptr<grpc::Service>(NodeContext*)>;

struct NodeOptions {
  std::string pd;        // kvpd addresses
  std::string listen;    // host:port
  std::string data_dir;  // RocksDB and the store id live here
  // Serving TLS (net/grpc_tls.h): mutual TLS with these files unless `tls.insecure`. As a
  // client (of etcd, of kvpd) the process uses net::ClientTls(), which its main sets.
  net::TlsConfig tls;
  std::chrono::milliseconds heartbeat_interval{500};
  std::chrono::milliseconds resolve_interval{200};
  // How often MVCC GC scans the whole store for versions below the safepoint: TiDB's default
  // run interval (tidb_gc_run_interval, 10 minutes). Each pass reads every key, so running it
  // every few seconds costs a busy node most of a core; running it less often only keeps
  // garbage longer (the safepoint, not this interval, decides what reads may still see).
  std::chrono::milliseconds gc_interval{600'000};
  // Extra gRPC services served on the same port (kvnode adds BR's backup/import service).
  std::vector<NodeServiceFactory> services;
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
