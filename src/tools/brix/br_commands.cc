#include "tools/brix/br_commands.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/time_util.h"
#include "common/timestamp.h"
#include "operator/api/go_time.h"
#include "operator/manager/restore_report.h"
#include "operator/manager/verify_report.h"
#include "tools/brix/progress_bar.h"
#include "tools/cli_exit.h"

namespace brix::tools {
namespace {

// Flags shared by backup and restore.
struct SnapshotArgs {
  std::string pd;
  std::string storage;
  std::string db, table;
  std::vector<std::string> filters;
  int concurrency = 0;
  double ratelimit = 0;
  bool checksum = true;
  bool send_credentials = true;
  bool dry_run = false;    // restore only
  bool calibrate = false;  // restore only
  std::string output = "text";
  // backup only
  std::string backupts, timeago, lastbackupts;
  std::string compression = "zstd";
  uint64_t sst_max_bytes = 96ull << 20;
};

bool Json(const SnapshotArgs& a) { return a.output == "json"; }

// The table filter of `full` (-f rules or everything), `db` and `table`.
Result<std::vector<std::string>> FilterOf(const std::string& kind, const SnapshotArgs& a) {
  if (kind == "full") {
    if (!a.db.empty() || !a.table.empty()) {
      return Status::InvalidArgument(
          "--db/--table belong to the db and table commands; use -f with full");
    }
    return a.filters;
  }
  if (!a.filters.empty()) {
    return Status::InvalidArgument("-f/--filter works with the full command only");
  }
  if (a.db.empty()) return Status::InvalidArgument("--db is required for " + kind);
  if (kind == "db") {
    if (!a.table.empty()) return Status::InvalidArgument("--table belongs to the table command");
    return std::vector<std::string>{a.db + ".*"};
  }
  if (a.table.empty()) return Status::InvalidArgument("--table is required for table");
  return std::vector<std::string>{a.db + "." + a.table};
}

void AddCommon(CLI::App* cmd, SnapshotArgs* a, int default_concurrency) {
  a->concurrency = default_concurrency;
  cmd->add_option("--pd,-u", a->pd, "kvpd address(es), host:port[,host:port]")
      ->envname("BRIX_PD")
      ->required();
  cmd->add_option("--storage,-s", a->storage, "backup location: local path, local://, azure://")
      ->required();
  cmd->add_option("--concurrency", a->concurrency, "work items in flight per node")
      ->capture_default_str();
  cmd->add_option("--ratelimit", a->ratelimit, "MiB/s per node (0 = unlimited)")
      ->capture_default_str();
  cmd->add_option("--checksum", a->checksum, "verify table checksums (true|false)")
      ->capture_default_str();
  cmd->add_option("--send-credentials-to-tikv", a->send_credentials,
                  "pass this process's storage credentials to the nodes (true|false)")
      ->capture_default_str();
  cmd->add_option("--output", a->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

int RunBackup(const br::Engine& engine, const std::string& kind, const SnapshotArgs& a) {
  br::BackupOptions o;
  o.pd = a.pd;
  o.storage_url = a.storage;
  auto filter = FilterOf(kind, a);
  if (!filter.ok()) return ExitCode(filter.status());
  o.filter = *filter;
  if (!a.backupts.empty()) {
    auto ts = ParseTimestamp(a.backupts, "--backupts");
    if (!ts.ok()) return ExitCode(ts.status());
    o.backup_ts = *ts;
  }
  if (!a.timeago.empty()) {
    auto d = api::ParseGoDuration(a.timeago);
    if (!d.ok()) return ExitCode(Status::InvalidArgument("--timeago: " + d.status().message()));
    o.time_ago = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  if (!a.lastbackupts.empty()) {
    auto ts = ParseTimestamp(a.lastbackupts, "--lastbackupts");
    if (!ts.ok()) return ExitCode(ts.status());
    o.last_backup_ts = *ts;
  }
  o.concurrency = a.concurrency;
  o.ratelimit_mib = a.ratelimit;
  o.checksum = a.checksum;
  o.compression = a.compression;
  o.send_credentials = a.send_credentials;
  o.sst_max_bytes = a.sst_max_bytes;
  Result<br::BackupSummary> r = Status::OK();
  {
    ProgressBar bar(!Json(a));
    r = engine.backup(o, bar.Callback());
  }
  if (!r.ok()) return ExitCode(r.status());
  double mib = static_cast<double>(r->total_bytes) / (1 << 20);
  double speed = r->seconds > 0 ? mib / r->seconds : 0;
  if (Json(a)) {
    nlohmann::json j = {{"backup_ts", r->backup_ts},
                        {"last_backup_ts", r->last_backup_ts},
                        {"files", r->files},
                        {"total_kvs", r->total_kvs},
                        {"total_bytes", r->total_bytes},
                        {"backup_size", r->backup_size},
                        {"tables", r->tables},
                        {"seconds", r->seconds},
                        {"mib_per_second", speed},
                        {"resumed", r->resumed}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf(
        "%s backup success summary: backup-ts=%llu (%s) files=%llu kvs=%llu bytes=%llu "
        "size=%llu tables=%llu seconds=%.2f speed=%.1f MiB/s%s\n",
        r->last_backup_ts ? "Incremental"
                          : (kind == "full" ? "Full"
                             : kind == "db" ? "Database"
                                            : "Table"),
        static_cast<unsigned long long>(r->backup_ts), FormatTso(r->backup_ts).c_str(),
        static_cast<unsigned long long>(r->files), static_cast<unsigned long long>(r->total_kvs),
        static_cast<unsigned long long>(r->total_bytes),
        static_cast<unsigned long long>(r->backup_size), static_cast<unsigned long long>(r->tables),
        r->seconds, speed, r->resumed ? " (resumed)" : "");
  }
  return 0;
}

int RunRestore(const br::Engine& engine, const std::string& kind, const SnapshotArgs& a) {
  br::RestoreOptions o;
  o.pd = a.pd;
  o.storage_url = a.storage;
  auto filter = FilterOf(kind, a);
  if (!filter.ok()) return ExitCode(filter.status());
  o.filter = *filter;
  o.concurrency = a.concurrency;
  o.ratelimit_mib = a.ratelimit;
  o.checksum = a.checksum;
  o.send_credentials = a.send_credentials;
  if (a.dry_run) {
    auto plan = engine.restore_plan(o);
    if (!plan.ok()) return ExitCode(plan.status());
    std::cout << (Json(a) ? manager::PlanJson(*plan).dump() : manager::PlanText(*plan)) << "\n";
    return 0;
  }
  Result<br::RestoreSummary> r = Status::OK();
  {
    ProgressBar bar(!Json(a));
    r = a.calibrate ? engine.restore_calibrate(o, bar.Callback())
                    : engine.restore(o, bar.Callback());
  }
  if (!r.ok()) return ExitCode(r.status());
  double mib = static_cast<double>(r->total_bytes) / (1 << 20);
  double speed = r->seconds > 0 ? mib / r->seconds : 0;
  if (Json(a)) {
    nlohmann::json j = {{"backup_ts", r->backup_ts}, {"files", r->files},
                        {"total_kvs", r->total_kvs}, {"total_bytes", r->total_bytes},
                        {"tables", r->tables},       {"seconds", r->seconds},
                        {"mib_per_second", speed},   {"phases", manager::PhasesJson(r->phases)}};
    std::cout << j.dump() << "\n";
  } else {
    if (a.calibrate) std::printf("Calibration run (nothing published, its data deleted)\n");
    std::printf(
        "Restore success summary: backup-ts=%llu files=%llu kvs=%llu bytes=%llu tables=%llu "
        "seconds=%.2f speed=%.1f MiB/s\n",
        static_cast<unsigned long long>(r->backup_ts), static_cast<unsigned long long>(r->files),
        static_cast<unsigned long long>(r->total_kvs),
        static_cast<unsigned long long>(r->total_bytes), static_cast<unsigned long long>(r->tables),
        r->seconds, speed);
    std::printf("%s\n", manager::PhasesText(r->phases).c_str());
  }
  return 0;
}

int RunValidate(const br::Engine& engine, const std::string& url, const std::string& output) {
  auto r = engine.validate(url, ProcessEnv());
  if (!r.ok()) return ExitCode(r.status());
  if (output == "json") {
    nlohmann::json j = {
        {"ok", r->ok()}, {"files", r->files}, {"bytes", r->bytes}, {"problems", r->problems}};
    std::cout << j.dump() << "\n";
  } else {
    for (const auto& p : r->problems) std::printf("BAD %s\n", p.c_str());
    std::printf("%s: %llu files, %llu bytes checked, %zu problem(s)\n", r->ok() ? "OK" : "FAILED",
                static_cast<unsigned long long>(r->files),
                static_cast<unsigned long long>(r->bytes), r->problems.size());
  }
  return r->ok() ? 0 : 1;
}

// --deep: every file read and decoded, and the log chain (br/deep_validate.h).
int RunValidateDeep(const br::Engine& engine, const br::DeepValidateOptions& o,
                    const std::string& output) {
  Result<br::DeepValidateReport> r = Status::OK();
  {
    ProgressBar bar(output != "json");
    r = engine.validate_deep(o, bar.Callback());
  }
  if (!r.ok()) return ExitCode(r.status());
  if (output == "json") {
    std::cout
        << manager::VerificationJson(*r, FormatIso8601(std::chrono::system_clock::now())).dump()
        << "\n";
  } else {
    std::printf("%s\n", manager::VerificationText(*r).c_str());
  }
  return r->ok() ? 0 : 1;
}

int RunDebugMeta(const br::Engine& engine, const std::string& url) {
  auto json = engine.backup_meta_json(url, ProcessEnv());
  if (!json.ok()) return ExitCode(json.status());
  std::cout << *json;
  return 0;
}

}  // namespace

void AddSnapshotCommands(CLI::App& app, const br::Engine& engine, int* exit_code) {
  auto* backup =
      app.add_subcommand("backup", "snapshot backup of the cluster's tables as SST files");
  backup->require_subcommand(1);
  auto* restore = app.add_subcommand("restore", "restore a snapshot backup into a cluster");
  restore->require_subcommand(1);
  for (const char* kind : {"full", "db", "table"}) {
    std::string k = kind;
    auto args = std::make_shared<SnapshotArgs>();
    auto* b = backup->add_subcommand(
        k, "back up " + (k == "full" ? std::string("every table (or -f rules)")
                         : k == "db" ? "one database"
                                     : "one table"));
    AddCommon(b, args.get(), 4);
    if (k == "full") b->add_option("-f,--filter", args->filters, "table filter rule (repeatable)");
    if (k != "full") b->add_option("--db", args->db, "database name");
    if (k == "table") b->add_option("--table", args->table, "table name");
    b->add_option("--backupts", args->backupts, "backup at this ts (TSO, datetime or RFC 3339)");
    b->add_option("--timeago", args->timeago, "back up as of this long ago (e.g. 5m, 1h)");
    b->add_option("--lastbackupts", args->lastbackupts, "incremental: changes after this ts");
    b->add_option("--compression", args->compression, "zstd, lz4 or none")->capture_default_str();
    b->add_option("--sst-max-bytes", args->sst_max_bytes,
                  "cut SST files at this many logical bytes")
        ->capture_default_str();
    b->callback([&engine, k, args, exit_code] { *exit_code = RunBackup(engine, k, *args); });

    auto rargs = std::make_shared<SnapshotArgs>();
    auto* r = restore->add_subcommand(
        k, "restore " + (k == "full" ? std::string("every table in the backup (or -f rules)")
                         : k == "db" ? "one database"
                                     : "one table"));
    AddCommon(r, rargs.get(), 8);
    if (k == "full") r->add_option("-f,--filter", rargs->filters, "table filter rule (repeatable)");
    if (k != "full") r->add_option("--db", rargs->db, "database name");
    if (k == "table") r->add_option("--table", rargs->table, "table name");
    r->add_flag("--dry-run", rargs->dry_run,
                "print the plan and its estimated duration; restore nothing");
    r->add_flag("--calibrate", rargs->calibrate,
                "restore without publishing, keep the measured rates for --dry-run, delete what "
                "was restored (docs/backup.md#restore-estimates)")
        ->excludes("--dry-run");
    r->callback([&engine, k, rargs, exit_code] { *exit_code = RunRestore(engine, k, *rargs); });
  }

  auto validate_output = std::make_shared<std::string>("text");
  auto deep = std::make_shared<br::DeepValidateOptions>();
  auto deep_on = std::make_shared<bool>(false);
  auto* validate =
      app.add_subcommand("validate", "re-read a backup and check it against its backupmeta");
  validate->add_option("--storage,-s", deep->storage_url, "backup location")->required();
  validate->add_option("--output", *validate_output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  validate->add_flag("--deep", *deep_on,
                     "decode every key-value, check table checksums and the log chain "
                     "(docs/validate.md)");
  validate->add_option(
      "--log-storage", deep->log_storage_url,
      "--deep: the log backup continuing the snapshot at --storage (its whole PITR chain)");
  validate->add_option("--concurrency", deep->concurrency, "--deep: files read at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  validate->callback([=, &engine] {
    if (!*deep_on && !deep->log_storage_url.empty()) {
      *exit_code = ExitCode(Status::InvalidArgument("--log-storage needs --deep"));
      return;
    }
    *exit_code = *deep_on ? RunValidateDeep(engine, *deep, *validate_output)
                          : RunValidate(engine, deep->storage_url, *validate_output);
  });

  auto* debug = app.add_subcommand("debug", "print BR metadata");
  debug->require_subcommand(1);
  auto meta_url = std::make_shared<std::string>();
  auto* meta = debug->add_subcommand("meta", "the backupmeta as JSON");
  meta->add_option("--storage,-s", *meta_url, "backup location")->required();
  meta->callback([=, &engine] { *exit_code = RunDebugMeta(engine, *meta_url); });
}

}  // namespace brix::tools
