// Command lines of the servers brix starts for tests and the playground: etcd, Azurite, kvpd and
// kvnode. One place, so tests and `brix playground` run them the same way.
#pragma once

#include <string>
#include <vector>

namespace brix::playground {

// Where the brix binaries are: the folder of the running executable (they are built together
// into build/bin), unless BRIX_BIN_DIR says otherwise.
std::string BinDir();
// The azurite-blob entry point: BRIX_AZURITE, else .tools/ of the source tree next to build/.
std::string AzuriteBlobScript();

std::vector<std::string> EtcdCommand(const std::string& data_dir, int client_port, int peer_port);
std::vector<std::string> AzuriteCommand(int port, const std::string& cert_file = "",
                                        const std::string& key_file = "", bool oauth = false);
// `credential_key_file` (empty = none): the cluster credential key (common/sealed_box.h) that
// kvpd and every kvnode of a cluster share.
std::vector<std::string> KvpdCommand(const std::string& etcd, int port,
                                     const std::string& credential_key_file = "");
// `log_flush_interval_ms` > 0 sets how often the node uploads log-backup data (default 10 s).
// `test_buffer_fault_file`: the node's log-buffer fault hook (tests only; see kvnode --help).
std::vector<std::string> KvnodeCommand(const std::string& pd, int port, const std::string& data_dir,
                                       int log_flush_interval_ms = 0,
                                       const std::string& test_buffer_fault_file = "",
                                       const std::string& credential_key_file = "");

// `clusters`: NAMESPACE/NAME=KVPD entries for brixd's --cluster.
std::vector<std::string> BrixdCommand(const std::string& etcd, int port,
                                      const std::string& state_dir, const std::string& kubeconfig,
                                      const std::vector<std::string>& clusters = {});

}  // namespace brix::playground
