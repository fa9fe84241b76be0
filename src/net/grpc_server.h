// Stopping a gRPC server (kvpd, kvnode). Header-only so that only code that already uses gRPC
// pulls gRPC in.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>

namespace brix::net {

// Stops `server` at once: it stops listening, calls still in flight are cancelled (their clients
// see CANCELLED or UNAVAILABLE and retry, as they do when a server is killed), and it returns
// once the handlers already running have returned (the synchronous API never abandons one).
// There is no grace period on purpose: gRPC's graceful shutdown also waits for every connected
// client to hang up, which an idle client never does, so any grace was always spent whole — a
// second per server on every stop, whatever was in flight.
inline void StopGrpcServer(grpc::Server& server) {
  server.Shutdown(std::chrono::system_clock::now());
}

}  // namespace brix::net
