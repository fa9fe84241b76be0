// kvctl: the client of the brix key-value cluster (tables, load, workload with oracle,
// checksum, dump). Every command takes --pd host:port[,host:port].
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cluster/catalog.h"
#include "cluster/oracle.h"
#include "common/encoding.h"
#include "common/logging.h"
#include "common/timestamp.h"
#include "net/tls_flags.h"
#include "playground/workload.h"
#include "tools/cli_exit.h"

using namespace brix;

namespace {

struct Common {
  std::string pd;
  std::unique_ptr<cluster::PdClient> pd_client;
  std::unique_ptr<cluster::KvClient> kv;

  Status Connect() {
    BRIX_ASSIGN_OR_RETURN(pd_client, cluster::PdClient::Connect(pd));
    kv = std::make_unique<cluster::KvClient>(pd_client.get());
    return Status::OK();
  }
};

// Parses --ts (default: a fresh TSO).
Result<uint64_t> ReadTs(Common& c, const std::string& text) {
  if (text.empty()) return c.pd_client->GetTs();
  return ParseTimestamp(text, "--ts");
}

// "0x..." is hex; anything else is taken as raw bytes.
Result<std::string> ParseKey(const std::string& text) {
  if (text.rfind("0x", 0) != 0) return text;
  std::string hex = text.substr(2), out;
  if (hex.size() % 2) return Status::InvalidArgument("--key: odd number of hex digits");
  for (size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    std::string byte = hex.substr(i, 2);
    long v = std::strtol(byte.c_str(), &end, 16);
    if (*end != '\0') return Status::InvalidArgument("--key: '" + text + "' is not hex");
    out.push_back(static_cast<char>(v));
  }
  return out;
}

std::string Printable(std::string_view s) {
  bool text = true;
  for (unsigned char c : s) text = text && c >= 0x20 && c < 0x7f;
  return text ? std::string(s) : "0x" + HexEncode(s);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kvctl: client of the brix key-value cluster"};
  app.require_subcommand(1);
  Common c;
  std::string log_level = "warn";
  app.add_option("--pd", c.pd, "kvpd address(es), host:port[,host:port]")
      ->envname("BRIX_PD")
      ->required();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off");
  net::TlsConfig tls;  // flags over BRIX_TLS_* (net/grpc_tls.h)
  net::AddTlsFlags(app, &tls);
  int rc = 0;
  auto run = [&](const std::function<Status()>& body) {
    return [&, body] {
      Status s = InitLogging(log_level);
      net::SetClientTls(tls);
      if (s.ok()) s = c.Connect();
      if (s.ok()) s = body();
      rc = tools::ExitCode(s);
    };
  };

  std::string table_name;
  auto* create = app.add_subcommand("create-table", "Create a table DB.TABLE");
  create->add_option("table", table_name, "DB.TABLE")->required();
  create->callback(run([&]() -> Status {
    BRIX_ASSIGN_OR_RETURN(auto parts, cluster::ParseTableName(table_name, "table"));
    BRIX_ASSIGN_OR_RETURN(auto t, cluster::CreateTable(*c.kv, parts.first, parts.second));
    std::printf("created %s id=%lld\n", t.FullName().c_str(), static_cast<long long>(t.id));
    return Status::OK();
  }));

  auto* tables = app.add_subcommand("tables", "List tables");
  tables->callback(run([&]() -> Status {
    BRIX_ASSIGN_OR_RETURN(uint64_t ts, c.pd_client->GetTs());
    BRIX_ASSIGN_OR_RETURN(auto all, cluster::ListTables(*c.kv, ts));
    for (const auto& t : all)
      std::printf("%lld %s\n", static_cast<long long>(t.id), t.FullName().c_str());
    return Status::OK();
  }));

  auto* regions = app.add_subcommand("regions", "List regions (id, epoch, store, key range)");
  regions->callback(run([&]() -> Status {
    BRIX_ASSIGN_OR_RETURN(auto all, c.pd_client->GetRegions("", ""));
    for (const auto& r : all) {
      std::printf("region %llu epoch %llu store %llu [%s, %s)\n",
                  static_cast<unsigned long long>(r.id()),
                  static_cast<unsigned long long>(r.epoch()),
                  static_cast<unsigned long long>(r.store_id()), Printable(r.start_key()).c_str(),
                  r.end_key().empty() ? "+inf" : Printable(r.end_key()).c_str());
    }
    return Status::OK();
  }));

  std::string split_key;
  auto* split = app.add_subcommand("split", "Split the region containing --key at --key");
  split->add_option("--key", split_key, "split key (raw, or 0x-prefixed hex)")->required();
  split->callback(run([&]() -> Status {
    BRIX_ASSIGN_OR_RETURN(std::string key, ParseKey(split_key));
    BRIX_ASSIGN_OR_RETURN(auto r, c.pd_client->SplitRegion(key));
    std::printf("left region %llu epoch %llu, right region %llu epoch %llu\n",
                static_cast<unsigned long long>(r.left().id()),
                static_cast<unsigned long long>(r.left().epoch()),
                static_cast<unsigned long long>(r.right().id()),
                static_cast<unsigned long long>(r.right().epoch()));
    return Status::OK();
  }));

  auto* tso = app.add_subcommand("tso", "Print one timestamp");
  tso->callback(run([&]() -> Status {
    BRIX_ASSIGN_OR_RETURN(uint64_t ts, c.pd_client->GetTs());
    std::printf("%llu\n", static_cast<unsigned long long>(ts));
    return Status::OK();
  }));

  playground::LoadArgs load_args;
  std::string load_tables;
  auto* load =
      app.add_subcommand("load", "Insert --rows rows of --value-size bytes into each table");
  load->add_option("--table", load_tables, "DB.TABLE[,DB.TABLE...] (created if missing)")
      ->required();
  load->add_option("--rows", load_args.rows, "rows per table")
      ->required()
      ->check(CLI::PositiveNumber);
  load->add_option("--value-size", load_args.value_size, "bytes per value")
      ->check(CLI::Range(1, 1 << 20));
  load->add_option("--threads", load_args.threads, "writer threads")->check(CLI::Range(1, 256));
  load->add_option("--seed", load_args.seed, "random seed for values");
  load->callback(run([&]() -> Status {
    load_args.tables = CLI::detail::split(load_tables, ',');
    return playground::RunLoad(*c.kv, load_args);
  }));

  playground::WorkloadArgs wl;
  std::string wl_tables, wl_duration = "30s";
  auto* workload =
      app.add_subcommand("workload", "Random inserts, updates and deletes, recorded in an oracle");
  workload->add_option("--tables", wl_tables, "DB.T1,DB.T2 (created if missing)")->required();
  workload->add_option("--duration", wl_duration, "how long, e.g. 30s, 2m, 500ms");
  workload->add_option("--rate", wl.rate, "operations per second (0 = unlimited)")
      ->check(CLI::NonNegativeNumber);
  workload->add_option("--seed", wl.seed, "random seed");
  workload->add_option("--threads", wl.threads, "concurrent writers")->check(CLI::Range(1, 64));
  workload->add_option("--oracle", wl.oracle, "file recording every acknowledged write")
      ->required();
  workload->callback(run([&]() -> Status {
    wl.tables = CLI::detail::split(wl_tables, ',');
    char* end = nullptr;
    double n = std::strtod(wl_duration.c_str(), &end);
    std::string unit = end;
    double ms = unit == "ms"                  ? n
                : unit == "s" || unit.empty() ? n * 1000
                : unit == "m"                 ? n * 60000
                                              : -1;
    if (ms <= 0)
      return Status::InvalidArgument("--duration: '" + wl_duration +
                                     "' is not a duration (e.g. 30s, 2m, 500ms)");
    wl.duration = std::chrono::milliseconds(static_cast<int64_t>(ms));
    return playground::RunWorkload(*c.kv, wl);
  }));

  std::string ts_text;
  std::vector<std::string> filters;
  auto* checksum = app.add_subcommand("checksum", "Per-table checksums of the cluster at a ts");
  checksum->add_option("--ts", ts_text, "timestamp (TSO, datetime or RFC 3339); default now");
  checksum->add_option("-f,--filter", filters, "table filter rule (repeatable)");
  checksum->callback(run([&]() -> Status {
    BRIX_ASSIGN_OR_RETURN(uint64_t ts, ReadTs(c, ts_text));
    BRIX_ASSIGN_OR_RETURN(TableFilter filter, TableFilter::Parse(filters));
    BRIX_ASSIGN_OR_RETURN(auto sums, cluster::ChecksumTables(*c.kv, ts, filter));
    std::fputs(cluster::FormatChecksums(sums).c_str(), stdout);
    return Status::OK();
  }));

  std::string oracle_path;
  auto* ochecksum =
      app.add_subcommand("oracle-checksum", "Per-table checksums at a ts according to an oracle");
  ochecksum->add_option("--oracle", oracle_path, "oracle file written by kvctl workload")
      ->required();
  ochecksum->add_option("--ts", ts_text, "timestamp")->required();
  ochecksum->add_option("-f,--filter", filters, "table filter rule (repeatable)");
  ochecksum->callback([&] {
    Status s = InitLogging(log_level);
    auto ts = ParseTimestamp(ts_text, "--ts");
    auto filter = TableFilter::Parse(filters);
    if (s.ok() && !ts.ok()) s = ts.status();
    if (s.ok() && !filter.ok()) s = filter.status();
    if (s.ok()) {
      auto sums = cluster::OracleChecksum(oracle_path, *ts, *filter);
      if (sums.ok())
        std::fputs(cluster::FormatChecksums(*sums).c_str(), stdout);
      else
        s = sums.status();
    }
    rc = tools::ExitCode(s);
  });

  auto* dump = app.add_subcommand("dump", "Print every live key and value at a ts");
  dump->add_option("--ts", ts_text, "timestamp; default now");
  dump->callback(run([&]() -> Status {
    BRIX_ASSIGN_OR_RETURN(uint64_t ts, ReadTs(c, ts_text));
    BRIX_RETURN_IF_ERROR(c.kv->WaitResolved(ts));
    return c.kv->Scan("", "", ts, [](const cluster::KvPair& p) {
      std::printf("%s => %s\n", Printable(p.key()).c_str(),
                  Printable(p.value().substr(0, 64)).c_str());
      return true;
    });
  }));

  // oracle-checksum needs no cluster: --pd is only required by the other commands.
  for (auto* sub : app.get_subcommands({})) (void)sub;
  if (argc > 1 && std::string(argv[1]) == "oracle-checksum")
    app.get_option("--pd")->required(false);
  if (auto usage = tools::ParseCommandLine(app, argc, argv)) return *usage;
  return rc;
}
