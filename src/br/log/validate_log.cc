#include "br/log/validate_log.h"

#include <mutex>

#include "br/log/compaction.h"
#include "br/log/log_files.h"
#include "br/verify_files.h"
#include "common/parallel.h"
#include "common/scratch_dir.h"
#include "storage/open_storage.h"

namespace brix::br {

Result<ValidateReport> ValidateLogLocation(const std::string& storage_url, const EnvLookup& env,
                                           int concurrency) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(storage_url, env));
  BRIX_RETURN_IF_ERROR(ReadLogLocation(*storage).status());
  BRIX_ASSIGN_OR_RETURN(auto metas, ReadLogMetas(*storage));
  BRIX_ASSIGN_OR_RETURN(auto compactions, ReadCompactions(*storage));
  ScratchDir scratch("validate");
  ValidateReport report;
  std::mutex mu;
  auto record = [&](const std::string& name, const FileCheck& c) {
    std::lock_guard<std::mutex> lock(mu);
    ++report.files;
    report.bytes += c.bytes;
    if (!c.ok()) report.problems.push_back(name + ": " + c.problem);
  };
  TaskGroup group(std::max(1, concurrency));
  for (const auto& m : metas) {
    for (const auto& f : m.files()) {
      group.Submit([&, f]() -> Status {
        record(f.name(), CheckLogDataObject(*storage, f));
        return Status::OK();
      });
    }
  }
  for (const auto& c : compactions) {
    for (const auto& sub : c.subcompactions()) {
      for (const auto& sst : sub.ssts()) {
        group.Submit([&, sst]() -> Status {
          BRIX_ASSIGN_OR_RETURN(FileCheck checked,
                                CheckSstObject(*storage, sst, /*snapshot=*/false, scratch.path()));
          record(sst.name(), checked);
          return Status::OK();
        });
      }
    }
  }
  Status s = group.Wait();
  BRIX_RETURN_IF_ERROR(s);
  std::sort(report.problems.begin(), report.problems.end());
  return report;
}

}  // namespace brix::br
