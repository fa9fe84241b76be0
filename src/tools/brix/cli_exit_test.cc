// The exit-code policy of tools/cli_exit.h, checked on every binary: 2 for a usage error (parse
// error, bad flag value or combination), 1 for a failure of the work, 0 for --help. Every case
// fails before reaching a cluster, so none is needed.
#include "tools/cli_exit.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <thread>

#include "common/net_util.h"
#include "common/process.h"
#include "testing/temp_dir.h"

namespace brix {
namespace {

const std::string kBin = BRIX_BIN_DIR;

int ExitOf(const std::string& binary, std::vector<std::string> args,
           const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), kBin + "/" + binary);
  auto r = brix::RunCommand(args, env);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->exit_code : -1;
}

// An HTTP server on a loopback port answering every request with 404 (a Kubernetes API where
// the CR does not exist), until destroyed.
class NotFoundServer {
 public:
  NotFoundServer() {
    server_.Get(".*", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    EXPECT_TRUE(brix::PollUntil([this] { return server_.is_running(); }, std::chrono::seconds(10)));
  }
  ~NotFoundServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(CliExitCodes, HelpIsSuccessForEveryBinary) {
  for (const char* binary : {"brix", "kvpd", "kvnode", "kvctl", "brixd"}) {
    EXPECT_EQ(ExitOf(binary, {"--help"}), tools::kExitSuccess) << binary;
  }
}

TEST(CliExitCodes, AParseErrorIsAUsageErrorForEveryBinary) {
  for (const char* binary : {"brix", "kvpd", "kvnode", "kvctl", "brixd"}) {
    EXPECT_EQ(ExitOf(binary, {"--no-such-flag"}), tools::kExitUsage) << binary;
  }
  // A missing required option, and a value outside its set.
  EXPECT_EQ(ExitOf("brix", {"backup", "full", "-s", "/tmp/x"}), tools::kExitUsage);
  EXPECT_EQ(ExitOf("brix", {"validate", "-s", "/tmp/x", "--output", "yaml"}), tools::kExitUsage);
  EXPECT_EQ(ExitOf("brix", {"manager", "backup", "--namespace", "n"}), tools::kExitUsage);
  EXPECT_EQ(ExitOf("kvpd", {"--listen", "127.0.0.1:1"}), tools::kExitUsage);
  EXPECT_EQ(ExitOf("kvnode", {"--listen", "127.0.0.1:1", "--pd", "127.0.0.1:1"}),
            tools::kExitUsage);
}

TEST(CliExitCodes, ABadFlagValueFoundBeforeWorkIsAUsageError) {
  testing::TempDir dir;
  // A flag combination the command refuses, and a timestamp that does not parse.
  EXPECT_EQ(ExitOf("brix",
                   {"backup", "full", "--pd", "127.0.0.1:1", "-s", dir.path() + "/b", "--db", "d"}),
            tools::kExitUsage);
  EXPECT_EQ(ExitOf("brix", {"log", "truncate", "-s", dir.path() + "/l", "--until", "soon", "-y"}),
            tools::kExitUsage);
  EXPECT_EQ(ExitOf("brix", {"--log-level", "loud", "validate", "-s", dir.path()}),
            tools::kExitUsage);
  // brix manager without the API's address in its environment.
  EXPECT_EQ(ExitOf("brix", {"manager", "backup", "--namespace", "n", "--name", "b"}),
            tools::kExitUsage);
  EXPECT_EQ(ExitOf("kvpd", {"--etcd", "http://127.0.0.1:1", "--listen", "127.0.0.1:1",
                            "--log-level", "loud"}),
            tools::kExitUsage);
  EXPECT_EQ(ExitOf("kvnode", {"--pd", "127.0.0.1:1", "--listen", "127.0.0.1:1", "--data-dir",
                              dir.path(), "--credential-key-file", dir.path() + "/missing"}),
            tools::kExitUsage);
  EXPECT_EQ(ExitOf("kvctl", {"oracle-checksum", "--oracle", dir.path() + "/o", "--ts", "soon"}),
            tools::kExitUsage);
  EXPECT_EQ(ExitOf("brixd", {"--listen", "no-port"}), tools::kExitUsage);
}

TEST(CliExitCodes, AFailureOfTheWorkIsExitOne) {
  testing::TempDir dir;
  std::string file = dir.path() + "/file";
  std::ofstream(file) << "not a folder";
  // Nothing to validate at an empty location.
  EXPECT_EQ(ExitOf("brix", {"validate", "-s", dir.path() + "/empty"}), tools::kExitFailure);
  // The manager reaches the API, which has no such Backup.
  NotFoundServer api;
  EXPECT_EQ(ExitOf("brix", {"manager", "backup", "--namespace", "n", "--name", "b"},
                   {{"BRIX_API_SERVER", api.url()}, {"BRIX_API_TOKEN", "t"}}),
            tools::kExitFailure);
  // A daemon that cannot create its data folder.
  EXPECT_EQ(ExitOf("kvnode", {"--pd", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--data-dir",
                              file + "/data", "--insecure"}),
            tools::kExitFailure);
  EXPECT_EQ(ExitOf("kvctl", {"oracle-checksum", "--oracle", dir.path() + "/missing", "--ts", "0"}),
            tools::kExitFailure);
  EXPECT_EQ(ExitOf("brixd", {"--listen", "127.0.0.1:0", "--state-dir", file + "/state"},
                   {{"BRIX_INSECURE", "1"}}),
            tools::kExitFailure);
}

}  // namespace
}  // namespace brix
