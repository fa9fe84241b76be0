#include "br/log/truncate.h"

#include "br/log/compaction.h"
#include "br/meta_seal.h"
#include "storage/open_storage.h"

namespace brix::br {

Result<TruncateSummary> TruncateLog(const std::string& storage_url, uint64_t until,
                                    const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(storage_url, env));
  BRIX_ASSIGN_OR_RETURN(LogRange range, ReadLogRange(*storage));
  if (until > range.checkpoint) {
    return Status::InvalidArgument(
        "--until " + std::to_string(until) + " is past the global checkpoint " +
        std::to_string(range.checkpoint) + ": data after the checkpoint may still be arriving");
  }
  TruncateSummary sum;
  sum.until = until;
  BRIX_ASSIGN_OR_RETURN(LogLocation loc, ReadLogLocation(*storage));
  if (until > loc.truncated_until()) {
    BRIX_RETURN_IF_ERROR(RecordTruncationBound(*storage, until));
  }
  // Compactions made only of versions below the bound go first: PITR no longer uses them, and
  // after this no compaction names a raw file truncate is about to delete and still matters.
  BRIX_ASSIGN_OR_RETURN(sum.compactions_removed, DeleteCompactionsBelow(*storage, until));
  std::vector<std::string> names;
  BRIX_ASSIGN_OR_RETURN(auto metas, ReadLogMetas(*storage, &names));
  for (size_t i = 0; i < metas.size(); ++i) {
    LogMeta kept = metas[i];
    kept.clear_files();
    std::vector<LogFile> doomed;
    for (const auto& f : metas[i].files()) {
      if (f.max_ts() < until) {
        doomed.push_back(f);
      } else {
        *kept.add_files() = f;
      }
    }
    if (doomed.empty()) continue;
    if (kept.files_size() == 0) {
      BRIX_RETURN_IF_ERROR(storage->Delete(names[i]));
      ++sum.metas_removed;
    } else {
      kept.set_min_ts(UINT64_MAX);
      for (const auto& f : kept.files()) kept.set_min_ts(std::min(kept.min_ts(), f.min_ts()));
      BRIX_RETURN_IF_ERROR(PutMeta(*storage, kMetaLogMeta, names[i], kept));
      ++sum.metas_rewritten;
    }
    for (const auto& f : doomed) {
      BRIX_RETURN_IF_ERROR(storage->Delete(f.name()));
      ++sum.files_removed;
      sum.bytes_removed += f.size();
    }
  }
  return sum;
}

Result<LogRange> LogMetadata(const std::string& storage_url, const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(storage_url, env));
  BRIX_ASSIGN_OR_RETURN(LogRange range, ReadLogRange(*storage));
  BRIX_ASSIGN_OR_RETURN(auto compactions, ReadCompactions(*storage));
  for (const auto& c : compactions) {
    size_t ssts = 0;
    for (const auto& s : c.subcompactions()) ssts += static_cast<size_t>(s.ssts_size());
    range.compactions.push_back(
        c.name() + " [" + std::to_string(c.from_ts()) + ", " + std::to_string(c.until_ts()) + "] " +
        std::to_string(c.input_files_size()) + " inputs -> " + std::to_string(ssts) + " SSTs");
  }
  return range;
}

}  // namespace brix::br
