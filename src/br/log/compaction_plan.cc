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

std::vector<std::vector<size_t>> GroupRunInputs(const std::vector<LogFile>& inputs,
                                                uint64_t run_raw_bytes) {
  std::vector<std::vector<size_t>> runs;
  uint64_t raw = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (runs.empty() || raw + inputs[i].raw_size() > run_raw_bytes) {
      runs.emplace_back();
      raw = 0;
    }
    runs.back().push_back(i);
    raw += inputs[i].raw_size();
  }
  return runs;
}

int RunWorkers(int concurrency, uint64_t largest_run_raw_bytes, uint64_t budget) {
  uint64_t fit = 2 * budget / std::max<uint64_t>(1, 5 * largest_run_raw_bytes);
  return static_cast<int>(std::clamp<uint64_t>(fit, 1, std::max(1, concurrency)));
}

std::vector<CompactRange> PlanRanges(std::vector<RangeSample> samples, uint64_t target_bytes) {
  std::sort(samples.begin(), samples.end(),
            [](const RangeSample& a, const RangeSample& b) { return a.key < b.key; });
  std::vector<CompactRange> ranges;
  const std::string* prev = nullptr;  // samples of one key (from several runs) stay in one range
  for (const auto& s : samples) {
    auto table = cluster::TableIdOf(s.key);
    if (!table) continue;
    bool new_key = !prev || *prev != s.key;
    prev = &s.key;
    if (ranges.empty() || ranges.back().table_id != *table) {
      ranges.push_back({*table, cluster::TablePrefix(*table), "", 0, 0});
    } else if (ranges.back().bytes >= target_bytes && new_key) {
      ranges.back().end = s.key;
      ranges.push_back({*table, s.key, "", 0, ranges.back().index + 1});
    }
    ranges.back().bytes += s.bytes;
  }
  return ranges;
}

bool InRange(const CompactRange& r, std::string_view user_key) {
  if (user_key < r.start) return false;
  if (!r.end.empty()) return user_key < r.end;
  return cluster::TableIdOf(user_key) == r.table_id;
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
