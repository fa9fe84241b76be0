#include "br/snapshot/validate.h"

#include <map>
#include <mutex>

#include "br/snapshot/backup_meta.h"
#include "br/verify_files.h"
#include "common/parallel.h"
#include "common/scratch_dir.h"
#include "storage/open_storage.h"

namespace brix::br {

Result<ValidateReport> ValidateBackup(const std::string& storage_url, const EnvLookup& env,
                                      int concurrency) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(storage_url, env));
  BRIX_ASSIGN_OR_RETURN(BackupMeta meta, ReadBackupMeta(*storage));
  const bool snapshot = meta.start_version() == 0;
  ScratchDir scratch("validate");

  ValidateReport report;
  std::mutex mu;
  std::map<int64_t, cluster::KvChecksum> per_table;
  TaskGroup group(std::max(1, concurrency));
  for (const auto& f : meta.files()) {
    group.Submit([&, f]() -> Status {
      BRIX_ASSIGN_OR_RETURN(FileCheck c, CheckSstObject(*storage, f, snapshot, scratch.path()));
      std::lock_guard<std::mutex> lock(mu);
      ++report.files;
      report.bytes += c.bytes;
      if (!c.ok()) {
        report.problems.push_back(f.name() + ": " + c.problem);
        return Status::OK();
      }
      per_table[f.table_id()].Merge(c.sum);
      return Status::OK();
    });
  }
  Status s = group.Wait();
  BRIX_RETURN_IF_ERROR(s);
  if (snapshot && report.problems.empty()) {
    for (const auto& t : meta.tables()) {
      if (!t.has_checksum()) continue;
      cluster::KvChecksum want{t.total_kvs(), t.total_bytes(), t.crc64xor()};
      if (!(per_table[t.id()] == want)) {
        report.problems.push_back("table " + t.db() + "." + t.name() + ": files add up to " +
                                  per_table[t.id()].ToString() + ", backupmeta says " +
                                  want.ToString());
      }
    }
  }
  std::sort(report.problems.begin(), report.problems.end());
  return report;
}

}  // namespace brix::br
