#include "br/snapshot/validate.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "br/snapshot/backup_meta.h"
#include "br/sst.h"
#include "common/crypto.h"
#include "common/parallel.h"
#include "common/random.h"
#include "storage/open_storage.h"

namespace brix::br {

Result<ValidateReport> ValidateBackup(const std::string& storage_url, const EnvLookup& env,
                                      int concurrency) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(storage_url, env));
  BRIX_ASSIGN_OR_RETURN(BackupMeta meta, ReadBackupMeta(*storage));
  const bool snapshot = meta.start_version() == 0;
  std::string tmp_dir =
      (std::filesystem::temp_directory_path() / ("brix-validate-" + NewUuid())).string();
  std::filesystem::create_directories(tmp_dir);

  ValidateReport report;
  std::mutex mu;
  std::map<int64_t, cluster::KvChecksum> per_table;
  auto problem = [&](std::string text) {
    std::lock_guard<std::mutex> lock(mu);
    report.problems.push_back(std::move(text));
  };
  TaskGroup group(std::max(1, concurrency));
  for (const auto& f : meta.files()) {
    group.Submit([&, f]() -> Status {
      auto data = storage->Get(f.name());
      if (!data.ok()) {
        problem(f.name() + ": cannot read: " + data.status().ToString());
        return Status::OK();
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        ++report.files;
        report.bytes += data->size();
      }
      if (data->size() != f.size()) {
        problem(f.name() + ": size " + std::to_string(data->size()) + ", backupmeta says " +
                std::to_string(f.size()));
        return Status::OK();
      }
      if (Sha256(*data) != f.sha256()) {
        problem(f.name() + ": SHA-256 does not match the backupmeta");
        return Status::OK();
      }
      std::string path = tmp_dir + "/" + NewUuid() + ".sst";
      {
        std::ofstream out(path, std::ios::binary);
        out.write(data->data(), static_cast<std::streamsize>(data->size()));
      }
      cluster::KvChecksum sum;
      Status read = ReadSst(path, [&](const cluster::MvccEntry& e) {
        AddEntryChecksum(e, snapshot, &sum);
        return true;
      });
      std::filesystem::remove(path);
      if (!read.ok()) {
        problem(f.name() + ": " + read.ToString());
        return Status::OK();
      }
      cluster::KvChecksum want{f.total_kvs(), f.total_bytes(), f.crc64xor()};
      if (!(sum == want)) {
        problem(f.name() + ": content checksum " + sum.ToString() + ", backupmeta says " +
                want.ToString());
      }
      std::lock_guard<std::mutex> lock(mu);
      per_table[f.table_id()].Merge(sum);
      return Status::OK();
    });
  }
  Status s = group.Wait();
  std::filesystem::remove_all(tmp_dir);
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
