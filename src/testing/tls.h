// Cluster TLS for tests: one CA and one certificate (net/tls_certs.h) per test process, in a temp
// folder that lives until the process exits. The first call makes them and points
// BRIX_TLS_CA_FILE, BRIX_TLS_CERT_FILE and BRIX_TLS_KEY_FILE at them (setenv), so in-process
// clients and every child process (kvpd, kvnode, brixd, brix, kvctl) find them; later calls
// return the same files. One per process rather than per cluster: the variables then never
// change under a client that is still running. EtcdServer and ClusterHarness call it; a test
// that wants a foreign identity (another CA) calls net::WriteClusterTls itself.
#pragma once

#include "common/result.h"
#include "net/tls_certs.h"

namespace brix::testing {

[[nodiscard]] Result<net::TlsFiles> TestTls();

}  // namespace brix::testing
