#include "operator/manager/engine.h"

namespace brix::manager {
namespace {

Status NotInThisBuild(const std::string& what, const std::string& issue) {
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
  e.log = [](const LogRequest& r) -> Result<LogResult> {
    return NotInThisBuild("log backup (" + r.subcommand + ")", "issue 5");
  };
  e.pitr = [](const PitrRequest&, const br::ProgressFn&) -> Result<br::RestoreSummary> {
    return NotInThisBuild("point-in-time restore", "issue 5");
  };
  e.compact = [](const CompactRequest&,
                 const std::function<void(const std::string&)>&) -> Result<uint64_t> {
    return NotInThisBuild("log compaction", "issue 6");
  };
  return e;
}

}  // namespace brix::manager
