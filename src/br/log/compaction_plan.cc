#include "br/log/compaction_plan.h"

#include <algorithm>

#include "br/log/compaction.h"
#include "cluster/mvcc.h"
#include "common/crypto.h"
#include "common/encoding.h"

namespace brix::br {

std::string CompactionDir(const std::string& name, uint64_t from_ts, uint64_t until_ts) {
  std::string id = name + "/" + std::to_string(from_ts) + "/" + std::to_string(until_ts);
  return std::string(kCompactionPrefix) + name + "_" + HexEncode(Sha256(id)).substr(0, 16) + "/";
}

std::vector<LogFile> SelectCompactionInputs(const std::vector<LogMeta>& metas, uint64_t from_ts,
                                            uint64_t until_ts) {
  std::vector<LogFile> inputs;
  for (const auto& m : metas) {
    for (const auto& f : m.files()) {
      if (f.max_ts() >= from_ts && f.min_ts() <= until_ts) inputs.push_back(f);
    }
  }
  std::sort(inputs.begin(), inputs.end(),
            [](const LogFile& a, const LogFile& b) { return a.name() < b.name(); });
  return inputs;
}

std::map<int64_t, std::vector<CompactVersion>> GroupVersionsByTable(LogBatch& batch,
                                                                    const std::set<int64_t>& skip) {
  std::map<int64_t, std::vector<CompactVersion>> out;
  for (auto& e : *batch.mutable_entries()) {
    auto table = cluster::TableIdOf(e.key());
    if (!table || skip.count(*table)) continue;
    out[*table].push_back(
        {std::move(*e.mutable_key()), e.ts(), e.is_delete(), std::move(*e.mutable_value())});
  }
  return out;
}

void SortVersions(std::vector<CompactVersion>* versions) {
  std::sort(versions->begin(), versions->end(),
            [](const CompactVersion& a, const CompactVersion& b) {
              if (a.key != b.key) return a.key < b.key;
              return a.ts > b.ts;  // newest first, as the MVCC encoding orders them
            });
}

uint64_t BytesCompactedEstimate(uint64_t bytes_to_compact, uint64_t work_completed,
                                uint64_t work_total) {
  return std::min<uint64_t>(bytes_to_compact,
                            bytes_to_compact * work_completed / std::max<uint64_t>(1, work_total));
}

}  // namespace brix::br
