// kvpd: the placement driver (docs/architecture.md#processes, docs/cluster.md). State lives in
// etcd (cluster/pd/etcd_layout.h); one kvpd at a time leads, elected through an etcd lease, and
// only the leader answers (others say "not leader" and clients try the next address).
//
// The service is split by concern, each with its own lock (see each header):
//   cluster/pd/leadership.h     election and the leader lease (atomics; a stop mutex)
//   cluster/pd/tso_allocator.h  TSO: monotonic, never above the persisted high-water mark; its
//                               lock is never held across etcd I/O
//   cluster/pd/placement.h      cluster id, stores, regions, table ids
//   cluster/pd/gc_safepoints.h  GC safepoint, service safepoints, GC pauses
//   cluster/pd/log_tasks.h      log-backup task registry and checkpoints
// Lock order where two are held at once: log tasks → GC safepoints. No other nesting.
//
// TSO: ts layout in common/tso.h. Before serving any physical time at or above the persisted
// high-water mark, the leader first raises the mark in etcd (by compare-and-swap, so a deposed
// leader cannot); a new leader starts above the mark. So no ts is ever issued twice, across
// restarts and leader changes.
//
// Leader lease: a kvpd serves only while its etcd lease is surely alive, measured on the
// monotonic clock from when the grant or keepalive was sent (cluster/pd/leadership.h). So an old
// leader stops serving before etcd can elect the next one.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "net/grpc_tls.h"

namespace brix::cluster {

struct PdOptions {
  std::string etcd_endpoint;
  std::string listen;  // host:port this kvpd serves (and advertises to clients)
  // Serving TLS (net/grpc_tls.h): mutual TLS with these files unless `tls.insecure`. As a
  // client (of etcd, of kvpd) the process uses net::ClientTls(), which its main sets.
  net::TlsConfig tls;
  std::chrono::seconds leader_ttl{3};
  // Versions younger than this are never garbage-collected (TiDB's tikv_gc_life_time).
  std::chrono::seconds gc_life_time{600};
  // How far ahead the persisted TSO high-water mark runs.
  std::chrono::milliseconds tso_window{3000};
  // The cluster credential key (common/sealed_box.h, --credential-key-file); empty = none, and
  // then log tasks that forward storage credentials are refused.
  std::string credential_key;
  // Test-only fault hook (empty = off): while this file exists, each keepalive reply is held back
  // for the number of milliseconds written in it, as if etcd or the network were slow.
  std::string test_keepalive_delay_file;
};

class PdServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<PdServer>> Start(const PdOptions& options);
  ~PdServer();
  bool IsLeader() const;
  // Blocks until Shutdown() is called from another thread or a signal handler.
  void Wait();
  void Shutdown();

  struct Impl;

 private:
  explicit PdServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brix::cluster
