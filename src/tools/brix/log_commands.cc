#include "tools/brix/log_commands.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/timestamp.h"
#include "operator/manager/restore_report.h"
#include "tools/brix/progress_bar.h"
#include "tools/cli_exit.h"

namespace brix::tools {
namespace {

struct LogArgs {
  std::string pd, task, storage, full_storage, start_ts, until, restored_ts, from;
  std::string name = "compaction";
  std::vector<std::string> filters;
  bool yes = false;
  bool dry_run = false;
  bool calibrate = false;  // restore point --calibrate
  bool send_credentials = true;
  int concurrency = 8;
  std::string output = "text";
};

void Print(const LogArgs& a, const nlohmann::json& j, const std::string& text) {
  if (a.output == "json") {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << text << "\n";
  }
}

std::string Ts(uint64_t ts) { return std::to_string(ts) + " (" + FormatTso(ts) + ")"; }

void AddOutput(CLI::App* c, LogArgs* a) {
  c->add_option("--output", a->output, "text or json")->check(CLI::IsMember({"text", "json"}));
}
void AddPd(CLI::App* c, LogArgs* a) {
  c->add_option("--pd,-u", a->pd, "kvpd address(es)")->envname("BRIX_PD")->required();
}
void AddTask(CLI::App* c, LogArgs* a) {
  c->add_option("--task-name", a->task, "log backup task name")->required();
}

int Start(const br::Engine& engine, const LogArgs& a) {
  br::LogStartOptions o;
  o.pd = a.pd;
  o.task_name = a.task;
  o.storage_url = a.storage;
  o.filter = a.filters;
  o.send_credentials = a.send_credentials;
  if (!a.start_ts.empty()) {
    auto ts = ParseTimestamp(a.start_ts, "--start-ts");
    if (!ts.ok()) return ExitCode(ts.status());
    o.start_ts = *ts;
  }
  auto start = engine.log_start(o);
  if (!start.ok()) return ExitCode(start.status());
  Print(a, {{"task", a.task}, {"start_ts", *start}, {"state", "running"}},
        "log backup task " + a.task + " started at " + Ts(*start));
  return 0;
}

int StatusCmd(const br::Engine& engine, const LogArgs& a) {
  auto st = engine.log_status(a.pd, a.task);
  if (!st.ok()) return ExitCode(st.status());
  nlohmann::json stores = nlohmann::json::array();
  std::string text = "task: " + st->name + "\nstate: " + st->state +
                     "\nstart ts: " + Ts(st->start_ts) +
                     "\ncheckpoint ts: " + Ts(st->checkpoint_ts) +
                     "\ncheckpoint lag: " + std::to_string(st->checkpoint_lag_seconds) +
                     " s\nstorage: " + st->storage;
  for (const auto& [store, ts] : st->store_checkpoints) {
    auto err = st->store_errors.find(store);
    std::string e = err == st->store_errors.end() ? "" : err->second;
    stores.push_back({{"store_id", store}, {"checkpoint_ts", ts}, {"last_error", e}});
    text += "\nstore " + std::to_string(store) + ": checkpoint " + std::to_string(ts) +
            (e.empty() ? "" : ", last error: " + e);
  }
  Print(a,
        {{"task", st->name},
         {"state", st->state},
         {"start_ts", st->start_ts},
         {"checkpoint_ts", st->checkpoint_ts},
         {"checkpoint_lag_seconds", st->checkpoint_lag_seconds},
         {"storage", st->storage},
         {"stores", stores}},
        text);
  return 0;
}

int Transition(const br::Engine& engine, const LogArgs& a, const std::string& verb) {
  Status s = verb == "pause"    ? engine.log_pause(a.pd, a.task)
             : verb == "resume" ? engine.log_resume(a.pd, a.task)
                                : engine.log_stop(a.pd, a.task);
  if (!s.ok()) return ExitCode(s);
  std::string state = verb == "pause" ? "paused" : verb == "resume" ? "running" : "stopped";
  Print(a, {{"task", a.task}, {"state", state}}, "log backup task " + a.task + " " + state);
  return 0;
}

int UpdateCredentials(const br::Engine& engine, const LogArgs& a) {
  br::LogCredentialsOptions o;
  o.pd = a.pd;
  o.task_name = a.task;
  Status s = engine.log_update_credentials(o);
  if (!s.ok()) return ExitCode(s);
  Print(a, {{"task", a.task}, {"credentials", "updated"}},
        "log backup task " + a.task +
            ": credentials updated; every node uses them from its next flush");
  return 0;
}

int Truncate(const br::Engine& engine, const LogArgs& a) {
  auto until = ParseTimestamp(a.until, "--until");
  if (!until.ok()) return ExitCode(until.status());
  if (!a.yes) {
    if (!isatty(STDIN_FILENO)) {
      return ExitCode(Status::InvalidArgument(
          "log truncate deletes data: confirm with -y (stdin is not a terminal to ask)"));
    }
    std::cerr << "Remove log data no restore to a point >= " << Ts(*until) << " needs from "
              << a.storage << "? [y/N] ";
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::cerr << "aborted\n";
      return kExitFailure;
    }
  }
  auto sum = engine.log_truncate(a.storage, *until, ProcessEnv());
  if (!sum.ok()) return ExitCode(sum.status());
  Print(a,
        {{"until", sum->until},
         {"files_removed", sum->files_removed},
         {"bytes_removed", sum->bytes_removed},
         {"metas_removed", sum->metas_removed},
         {"metas_rewritten", sum->metas_rewritten},
         {"compactions_removed", sum->compactions_removed}},
        "truncated until " + Ts(sum->until) + ": removed " + std::to_string(sum->files_removed) +
            " data files (" + std::to_string(sum->bytes_removed) + " bytes), " +
            std::to_string(sum->metas_removed) + " metadata files removed, " +
            std::to_string(sum->metas_rewritten) + " rewritten, " +
            std::to_string(sum->compactions_removed) + " compactions removed");
  return 0;
}

int Metadata(const br::Engine& engine, const LogArgs& a) {
  auto r = engine.log_metadata(a.storage, ProcessEnv());
  if (!r.ok()) return ExitCode(r.status());
  std::string text = "task: " + r->task + "\nrestorable from: " + Ts(r->min_ts) +
                     "\nglobal checkpoint: " + Ts(r->checkpoint);
  for (const auto& c : r->compactions) text += "\ncompaction: " + c;
  Print(a,
        {{"task", r->task},
         {"min_ts", r->min_ts},
         {"global_checkpoint", r->checkpoint},
         {"compactions", r->compactions}},
        text);
  return 0;
}

// Progress lines are JSON on stderr (what the CompactBackup controller parses), the last one
// says finished or aborted.
int Compact(const br::Engine& engine, const LogArgs& a) {
  br::CompactOptions o;
  o.storage_url = a.storage;
  o.concurrency = a.concurrency;
  o.name = a.name;
  auto from = ParseTimestamp(a.from, "--from");
  if (!from.ok()) return ExitCode(from.status());
  auto until = ParseTimestamp(a.until, "--until");
  if (!until.ok()) return ExitCode(until.status());
  o.from_ts = *from;
  o.until_ts = *until;
  br::CompactProgress last;
  auto line = [](const br::CompactProgress& p) {
    return nlohmann::json::parse(br::CompactProgressJson(p));
  };
  auto r = engine.compact(o, [&](const br::CompactProgress& p) {
    last = p;
    std::cerr << br::CompactProgressJson(p) << "\n";
  });
  nlohmann::json end = line(last);
  if (!r.ok()) {
    end["status"] = "aborted";
    end["error"] = r.status().ToString();
    std::cerr << end.dump() << "\n";
    return ExitCode(r.status());
  }
  end["status"] = "finished";
  end["input_files"] = r->input_files_size();
  end["subcompactions"] = r->subcompactions_size();
  std::cerr << end.dump() << "\n";
  Print(a,
        {{"name", r->name()},
         {"from_ts", r->from_ts()},
         {"until_ts", r->until_ts()},
         {"input_files", r->input_files_size()},
         {"input_bytes", r->input_bytes()},
         {"subcompactions", r->subcompactions_size()}},
        "compaction " + r->name() + " finished: " + std::to_string(r->input_files_size()) +
            " log files (" + std::to_string(r->input_bytes()) + " bytes) -> " +
            std::to_string(r->subcompactions_size()) + " subcompactions");
  return 0;
}

int Point(const br::Engine& engine, const LogArgs& a) {
  br::PitrOptions o;
  o.pd = a.pd;
  o.log_storage_url = a.storage;
  o.full_backup_storage_url = a.full_storage;
  o.filter = a.filters;
  o.concurrency = a.concurrency;
  o.send_credentials = a.send_credentials;
  o.calibrate = a.calibrate;
  auto ts = ParseTimestamp(a.restored_ts, "--restored-ts");
  if (!ts.ok()) return ExitCode(ts.status());
  o.restored_ts = *ts;
  if (a.dry_run) {
    auto plan = engine.restore_point_plan(o);
    if (!plan.ok()) return ExitCode(plan.status());
    Print(a, manager::PlanJson(*plan), manager::PlanText(*plan));
    return 0;
  }
  Result<br::PitrSummary> r = Status::OK();
  {
    ProgressBar bar(a.output != "json");
    r = engine.restore_point(o, bar.Callback());
  }
  if (!r.ok()) return ExitCode(r.status());
  double mb = static_cast<double>(r->log_bytes) / 1e6;
  double replay = r->log_seconds > 0 ? mb / r->log_seconds : 0;
  char text[512];
  std::snprintf(text, sizeof(text),
                "Restore point success summary: restored-ts=%llu snapshot-ts=%llu "
                "snapshot-kvs=%llu log-files=%llu log-kvs=%llu log-bytes=%llu "
                "compacted-ssts=%llu replay-seconds=%.2f replay=%.1f MB/s seconds=%.2f",
                static_cast<unsigned long long>(r->restored_ts),
                static_cast<unsigned long long>(r->snapshot_ts),
                static_cast<unsigned long long>(r->snapshot_kvs),
                static_cast<unsigned long long>(r->log_files),
                static_cast<unsigned long long>(r->log_entries),
                static_cast<unsigned long long>(r->log_bytes),
                static_cast<unsigned long long>(r->compacted_ssts), r->log_seconds, replay,
                r->seconds);
  Print(a,
        {{"restored_ts", r->restored_ts},
         {"snapshot_ts", r->snapshot_ts},
         {"snapshot_kvs", r->snapshot_kvs},
         {"log_files", r->log_files},
         {"log_kvs", r->log_entries},
         {"log_bytes", r->log_bytes},
         {"compacted_ssts", r->compacted_ssts},
         {"replay_seconds", r->log_seconds},
         {"replay_mb_per_second", replay},
         {"seconds", r->seconds},
         {"phases", manager::PhasesJson(r->phases)}},
        std::string(text) + "\n" + manager::PhasesText(r->phases));
  return 0;
}

}  // namespace

void AddLogCommands(CLI::App& app, const br::Engine& engine, int* exit_code) {
  auto* log = app.add_subcommand("log", "log backup for point-in-time recovery");
  log->require_subcommand(1);

  auto start = std::make_shared<LogArgs>();
  auto* c = log->add_subcommand("start", "start a log backup task");
  AddPd(c, start.get());
  AddTask(c, start.get());
  c->add_option("--storage,-s", start->storage, "where the log goes")->required();
  c->add_option("--start-ts", start->start_ts, "log from this ts (default: now)");
  c->add_option("-f,--filter", start->filters, "table filter rule (repeatable)");
  c->add_option("--send-credentials-to-tikv", start->send_credentials,
                "pass this process's storage credentials to the nodes (true|false)");
  AddOutput(c, start.get());
  c->callback([&engine, start, exit_code] { *exit_code = Start(engine, *start); });

  auto status = std::make_shared<LogArgs>();
  c = log->add_subcommand("status", "state, checkpoint and lag of a task");
  AddPd(c, status.get());
  AddTask(c, status.get());
  AddOutput(c, status.get());
  c->callback([&engine, status, exit_code] { *exit_code = StatusCmd(engine, *status); });

  for (const char* verb : {"pause", "resume", "stop"}) {
    auto args = std::make_shared<LogArgs>();
    std::string v = verb;
    c = log->add_subcommand(v, v == "pause"    ? "pause a running task (keeps its checkpoint)"
                               : v == "resume" ? "resume a paused task"
                                               : "stop a task for good (its data stays)");
    AddPd(c, args.get());
    AddTask(c, args.get());
    AddOutput(c, args.get());
    c->callback([&engine, args, v, exit_code] { *exit_code = Transition(engine, *args, v); });
  }

  auto creds = std::make_shared<LogArgs>();
  c = log->add_subcommand("update-credentials",
                          "give a running task new storage credentials (from the environment, "
                          "as `log start` takes them), e.g. before its SAS expires");
  AddPd(c, creds.get());
  AddTask(c, creds.get());
  AddOutput(c, creds.get());
  c->callback([&engine, creds, exit_code] { *exit_code = UpdateCredentials(engine, *creds); });

  auto truncate = std::make_shared<LogArgs>();
  c = log->add_subcommand("truncate", "remove log data no restore to a point >= --until needs");
  c->add_option("--storage,-s", truncate->storage, "log location")->required();
  c->add_option("--until", truncate->until, "TSO, datetime or RFC 3339")->required();
  c->add_flag("-y,--yes", truncate->yes, "do not ask for confirmation");
  AddOutput(c, truncate.get());
  c->callback([&engine, truncate, exit_code] { *exit_code = Truncate(engine, *truncate); });

  auto metadata = std::make_shared<LogArgs>();
  c = log->add_subcommand("metadata", "the restorable range of a log location");
  c->add_option("--storage,-s", metadata->storage, "log location")->required();
  AddOutput(c, metadata.get());
  c->callback([&engine, metadata, exit_code] { *exit_code = Metadata(engine, *metadata); });

  auto compact = std::make_shared<LogArgs>();
  c = log->add_subcommand("compact", "merge a window of log files into sorted SSTs for PITR");
  c->add_option("--storage,-s", compact->storage, "log location")->required();
  c->add_option("--from", compact->from, "window start (TSO, datetime or RFC 3339)")->required();
  c->add_option("--until", compact->until, "window end (TSO, datetime or RFC 3339)")->required();
  c->add_option("--concurrency", compact->concurrency, "files and tables in flight");
  c->add_option("--name", compact->name, "compaction name (default: compaction)");
  AddOutput(c, compact.get());
  c->callback([&engine, compact, exit_code] { *exit_code = Compact(engine, *compact); });

  auto point = std::make_shared<LogArgs>();
  auto* restore = app.get_subcommand("restore");
  c = restore->add_subcommand("point", "point-in-time recovery into an empty cluster");
  AddPd(c, point.get());
  c->add_option("--storage,-s", point->storage, "the log backup location")->required();
  c->add_option("--full-backup-storage", point->full_storage, "the snapshot backup location")
      ->required();
  c->add_option("--restored-ts", point->restored_ts, "TSO, datetime or RFC 3339")->required();
  c->add_option("-f,--filter", point->filters, "table filter rule (repeatable)");
  c->add_option("--concurrency", point->concurrency, "log files in flight");
  c->add_option("--send-credentials-to-tikv", point->send_credentials,
                "pass this process's storage credentials to the nodes (true|false)");
  c->add_flag("--dry-run", point->dry_run,
              "print the plan and its estimated duration; restore nothing");
  c->add_flag("--calibrate", point->calibrate,
              "restore without publishing, keep the measured rates for --dry-run, delete what "
              "was restored (docs/backup.md#restore-estimates)")
      ->excludes("--dry-run");
  AddOutput(c, point.get());
  c->callback([&engine, point, exit_code] { *exit_code = Point(engine, *point); });
}

}  // namespace brix::tools
