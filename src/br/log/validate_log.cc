#include "br/log/validate_log.h"

#include <filesystem>
#include <fstream>
#include <mutex>

#include "br/log/compaction.h"
#include "br/log/log_files.h"
#include "br/sst.h"
#include "common/crypto.h"
#include "common/parallel.h"
#include "common/random.h"
#include "storage/open_storage.h"

namespace brix::br {

Result<ValidateReport> ValidateLogLocation(const std::string& storage_url, const EnvLookup& env,
                                           int concurrency) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(storage_url, env));
  BRIX_RETURN_IF_ERROR(ReadLogLocation(*storage).status());
  BRIX_ASSIGN_OR_RETURN(auto metas, ReadLogMetas(*storage));
  BRIX_ASSIGN_OR_RETURN(auto compactions, ReadCompactions(*storage));
  std::string tmp =
      (std::filesystem::temp_directory_path() / ("brix-validate-" + NewUuid())).string();
  std::filesystem::create_directories(tmp);
  ValidateReport report;
  std::mutex mu;
  auto problem = [&](std::string text) {
    std::lock_guard<std::mutex> lock(mu);
    report.problems.push_back(std::move(text));
  };
  // Reads one object, checks size and digest; returns it or notes the problem.
  auto fetch = [&](const std::string& name, uint64_t size,
                   const std::string& sha) -> std::optional<std::string> {
    auto data = storage->Get(name);
    if (!data.ok()) {
      problem(name + ": cannot read: " + data.status().ToString());
      return std::nullopt;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      ++report.files;
      report.bytes += data->size();
    }
    if (data->size() != size) {
      problem(name + ": size " + std::to_string(data->size()) + ", its meta says " +
              std::to_string(size));
      return std::nullopt;
    }
    if (Sha256(*data) != sha) {
      problem(name + ": SHA-256 does not match its meta");
      return std::nullopt;
    }
    return std::move(*data);
  };
  TaskGroup group(std::max(1, concurrency));
  for (const auto& m : metas) {
    for (const auto& f : m.files()) {
      group.Submit([&, f]() -> Status {
        auto data = fetch(f.name(), f.size(), f.sha256());
        if (!data) return Status::OK();
        auto batch = DecodeLogBatch(*data);
        if (!batch.ok()) {
          problem(f.name() + ": " + batch.status().ToString());
        } else if (static_cast<uint64_t>(batch->entries_size()) != f.kvs()) {
          problem(f.name() + ": " + std::to_string(batch->entries_size()) +
                  " entries, its meta says " + std::to_string(f.kvs()));
        }
        return Status::OK();
      });
    }
  }
  for (const auto& c : compactions) {
    for (const auto& sub : c.subcompactions()) {
      for (const auto& sst : sub.ssts()) {
        group.Submit([&, sst]() -> Status {
          auto data = fetch(sst.name(), sst.size(), sst.sha256());
          if (!data) return Status::OK();
          std::string path = tmp + "/" + NewUuid() + ".sst";
          std::ofstream(path, std::ios::binary)
              .write(data->data(), static_cast<std::streamsize>(data->size()));
          cluster::KvChecksum sum;
          Status read = ReadSst(path, [&](const cluster::MvccEntry& e) {
            AddEntryChecksum(e, /*snapshot=*/false, &sum);
            return true;
          });
          std::filesystem::remove(path);
          cluster::KvChecksum want{sst.total_kvs(), sst.total_bytes(), sst.crc64xor()};
          if (!read.ok()) {
            problem(sst.name() + ": " + read.ToString());
          } else if (!(sum == want)) {
            problem(sst.name() + ": content checksum " + sum.ToString() + ", its meta says " +
                    want.ToString());
          }
          return Status::OK();
        });
      }
    }
  }
  Status s = group.Wait();
  std::filesystem::remove_all(tmp);
  BRIX_RETURN_IF_ERROR(s);
  std::sort(report.problems.begin(), report.problems.end());
  return report;
}

}  // namespace brix::br
