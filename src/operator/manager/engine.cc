#include "operator/manager/engine.h"

#ifdef BRIX_HAVE_COMPACTION_ENGINE
#include "br/log/compaction.h"
#endif
#ifdef BRIX_HAVE_LOG_ENGINE
#include "br/log/log_task.h"
#include "br/log/pitr.h"
#include "br/log/truncate.h"
#include "operator/api/go_time.h"
#endif

namespace brix::manager {
namespace {

[[maybe_unused]] Status NotInThisBuild(const std::string& what, const std::string& issue) {
  return Status::NotSupported(what + " is not available in this build of brix (" + issue +
                              " of the engine has not landed yet)");
}

}  // namespace

Engine DefaultEngine() {
  Engine e;
#ifdef BRIX_HAVE_SNAPSHOT_ENGINE
  e.backup = [](const br::BackupOptions& o, const br::ProgressFn& p) {
    return br::RunBackup(o, p);
  };
  e.restore = [](const br::RestoreOptions& o, const br::ProgressFn& p) {
    return br::RunRestore(o, p);
  };
#else
  e.backup = [](const br::BackupOptions&, const br::ProgressFn&) -> Result<br::BackupSummary> {
    return NotInThisBuild("snapshot backup", "issue 4");
  };
  e.restore = [](const br::RestoreOptions&, const br::ProgressFn&) -> Result<br::RestoreSummary> {
    return NotInThisBuild("snapshot restore", "issue 4");
  };
#endif
#ifdef BRIX_HAVE_LOG_ENGINE
  e.log = [](const LogRequest& r) -> Result<LogResult> {
    LogResult out;
    if (r.subcommand == "log-start") {
      br::LogStartOptions o;
      o.pd = r.pd;
      o.task_name = r.task_name;
      o.storage_url = r.storage_url;
      o.start_ts = r.start_ts;
      o.filter = r.filter;
      o.send_credentials = r.send_credentials;
      o.env = r.env;
      BRIX_ASSIGN_OR_RETURN(out.start_ts, br::StartLogTask(o));
    } else if (r.subcommand == "log-pause") {
      BRIX_RETURN_IF_ERROR(br::PauseLogTask(r.pd, r.task_name));
    } else if (r.subcommand == "log-resume") {
      BRIX_RETURN_IF_ERROR(br::ResumeLogTask(r.pd, r.task_name));
    } else if (r.subcommand == "log-stop") {
      BRIX_RETURN_IF_ERROR(br::StopLogTask(r.pd, r.task_name));
    } else if (r.subcommand == "log-truncate") {
      BRIX_ASSIGN_OR_RETURN(uint64_t until, api::ParseTsString(r.truncate_until));
      BRIX_RETURN_IF_ERROR(br::TruncateLog(r.storage_url, until, r.env).status());
    } else {
      return Status::InvalidArgument("unknown log subcommand " + r.subcommand);
    }
    if (auto st = br::GetLogTaskStatus(r.pd, r.task_name); st.ok()) {
      out.checkpoint_ts = st->checkpoint_ts;
      if (out.start_ts == 0) out.start_ts = st->start_ts;
    }
    return out;
  };
  e.pitr = [](const PitrRequest& r, const br::ProgressFn& progress) -> Result<br::RestoreSummary> {
    if (r.full_backup_storage_url.empty()) {
      return Status::NotSupported(
          "PITR from logRestoreStartTs alone is not supported; give "
          "spec.pitrFullBackupStorageProvider (the snapshot the log continues)");
    }
    br::PitrOptions o;
    o.pd = r.pd;
    o.log_storage_url = r.log_storage_url;
    o.full_backup_storage_url = r.full_backup_storage_url;
    o.restored_ts = r.restored_ts;
    o.filter = r.filter;
    o.concurrency = r.concurrency;
    o.send_credentials = r.send_credentials;
    o.env = r.env;
    BRIX_ASSIGN_OR_RETURN(br::PitrSummary s, br::RestorePoint(o, progress));
    br::RestoreSummary out;
    out.backup_ts = s.restored_ts;  // status.commitTs of a PITR: the point restored to
    out.total_kvs = s.snapshot_kvs + s.log_entries;
    out.files = s.log_files;
    out.seconds = s.seconds;
    return out;
  };
#else
  e.log = [](const LogRequest& r) -> Result<LogResult> {
    return NotInThisBuild("log backup (" + r.subcommand + ")", "issue 5");
  };
  e.pitr = [](const PitrRequest&, const br::ProgressFn&) -> Result<br::RestoreSummary> {
    return NotInThisBuild("point-in-time restore", "issue 5");
  };
#endif
#ifdef BRIX_HAVE_COMPACTION_ENGINE
  e.compact = [](const CompactRequest& r,
                 const std::function<void(const std::string&)>& line) -> Result<uint64_t> {
    br::CompactOptions o;
    o.storage_url = r.storage_url;
    o.from_ts = r.from_ts;
    o.until_ts = r.until_ts;
    o.concurrency = r.concurrency;
    if (!r.name.empty()) o.name = r.name;
    o.env = r.env;
    // The same progress line `brix log compact` prints; the manager parses it into the status.
    BRIX_ASSIGN_OR_RETURN(br::LogCompaction c, br::CompactLog(o, [&](const br::CompactProgress& p) {
                            if (line) line(br::CompactProgressJson(p));
                          }));
    return std::max(c.input_max_ts(), c.until_ts());
  };
#else
  e.compact = [](const CompactRequest&,
                 const std::function<void(const std::string&)>&) -> Result<uint64_t> {
    return NotInThisBuild("log compaction", "issue 6");
  };
#endif
  return e;
}

}  // namespace brix::manager
