#include "br/location.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

#include "br/log/log_files.h"
#include "br/snapshot/backup_meta.h"
#include "common/parallel.h"
#include "storage/encryption_keys.h"
#include "storage/open_storage.h"
#include "storage/storage_url.h"

namespace brix::br {
namespace {

struct Marker {
  const char* name;
  LocationKind kind;
};

// The objects whose presence makes a prefix a brix location.
constexpr Marker kMarkers[] = {
    {kBackupMetaName, LocationKind::kSnapshot},
    {kBackupLockName, LocationKind::kSnapshot},
    {kLogLocationName, LocationKind::kLog},
};

constexpr int kDeletePasses = 5;  // a listing may trail deletes
constexpr int kDeleteParallelism = 16;

const char* KindName(LocationKind kind) {
  return kind == LocationKind::kSnapshot ? "snapshot backup" : "log backup";
}

std::string Join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

// The storage opened at the top of the location's namespace (the container, or "/" for local
// paths), with the location's path below it.
struct Root {
  std::unique_ptr<storage::ExternalStorage> storage;
  std::string prefix;     // no leading or trailing '/'; empty at the top
  std::string container;  // azure only
  bool local = false;

  // How a path below the root is shown to users (no credentials).
  std::string Show(const std::string& path) const {
    if (local) return "/" + path;
    return "azure://" + container + (path.empty() ? "" : "/" + path);
  }
};

Result<Root> OpenRoot(const std::string& url, const EnvLookup& env) {
  BRIX_ASSIGN_OR_RETURN(storage::StorageUrl parsed, storage::ParseStorageUrl(url));
  Root root;
  std::string root_url;
  if (parsed.kind == storage::StorageUrl::Kind::kLocal) {
    root.local = true;
    root.prefix = parsed.path.substr(1);
    root_url = "local:///";
  } else {
    root.container = parsed.container;
    root.prefix = parsed.prefix;
    // Same scheme and parameters (account, endpoint, SAS...), no prefix.
    size_t query = url.find('?');
    root_url = url.substr(0, url.find("://") + 3) + parsed.container +
               (query == std::string::npos ? "" : url.substr(query));
  }
  // Only names are looked at above and below the location (no contents): no keys needed.
  BRIX_ASSIGN_OR_RETURN(root.storage,
                        storage::OpenStorage(root_url, storage::WithoutEncryption(env)));
  return root;
}

Status Refuse(const std::string& here, const std::string& relation, const Marker& m,
              const std::string& other_path, const Root& root) {
  return Status::FailedPrecondition(
      "--storage: " + here + " " + relation + " the " + KindName(m.kind) + " at " +
      root.Show(other_path) + " (" + m.name + "); brix locations never nest, so one location's " +
      "cleanup cannot touch another's: use a prefix outside every other backup");
}

// Deletes `names` (idempotent deletes, in parallel).
Status DeleteNames(storage::ExternalStorage& storage, const std::vector<std::string>& names) {
  TaskGroup group(kDeleteParallelism);
  for (const auto& name : names) {
    if (!group.Submit([&storage, name] { return storage.Delete(name); })) break;
  }
  return group.Wait();
}

// Deletes every object under `prefix` but `keep`; passes until a listing shows none left.
Result<uint64_t> DeleteUnder(storage::ExternalStorage& storage, const std::string& prefix,
                             const std::string& keep = "") {
  uint64_t deleted = 0;
  for (int pass = 0; pass < kDeletePasses; ++pass) {
    BRIX_ASSIGN_OR_RETURN(auto objects, storage.ListAll(prefix));
    std::vector<std::string> names;
    for (const auto& o : objects) {
      if (o.name != keep) names.push_back(o.name);
    }
    if (names.empty()) return deleted;
    BRIX_RETURN_IF_ERROR(DeleteNames(storage, names));
    deleted += names.size();
  }
  return Status::Unavailable("objects remain under " + storage.Describe() + "/" + prefix +
                             " after " + std::to_string(kDeletePasses) + " delete passes");
}

Result<DeleteReport> DeleteSnapshotRun(storage::ExternalStorage& storage, const RunOwner& owner) {
  DeleteReport report;
  if (owner.run_id.empty()) {
    report.note = "no run id recorded: the run never owned " + storage.Describe();
    return report;
  }
  auto meta = ReadBackupMeta(storage);
  if (!meta.ok() && !meta.status().IsNotFound()) return meta.status();
  auto lock = ReadBackupLock(storage);
  if (!lock.ok() && !lock.status().IsNotFound()) return lock.status();
  if (!meta.ok() && !lock.ok()) {
    report.note = storage.Describe() + " holds neither backupmeta nor backup.lock: nothing is left";
    return report;
  }
  const std::string& marker = meta.ok() ? meta->run_id() : lock->run_id();
  if (marker != owner.run_id) {
    report.note = storage.Describe() + " belongs to another run (" +
                  (marker.empty() ? std::string("one without a run id") : "run " + marker) +
                  "); nothing deleted";
    return report;
  }
  report.owned = true;
  BRIX_ASSIGN_OR_RETURN(report.deleted, DeleteUnder(storage, RunFolder(owner.run_id)));
  if (meta.ok()) {
    std::vector<std::string> named;
    for (const auto& f : meta->files()) named.push_back(f.name());
    BRIX_RETURN_IF_ERROR(DeleteNames(storage, named));
  }
  BRIX_ASSIGN_OR_RETURN(uint64_t checkpoints, DeleteUnder(storage, kCheckpointPrefix));
  report.deleted += checkpoints;
  if (lock.ok() && lock->run_id() == owner.run_id) {
    BRIX_RETURN_IF_ERROR(storage.Delete(kBackupLockName));
    ++report.deleted;
  }
  if (meta.ok()) {  // the proof of ownership goes last
    BRIX_RETURN_IF_ERROR(storage.Delete(kBackupMetaName));
    ++report.deleted;
  }
  return report;
}

Result<DeleteReport> DeleteLogTask(storage::ExternalStorage& storage, const RunOwner& owner) {
  DeleteReport report;
  auto loc = ReadLogLocation(storage);
  if (!loc.ok()) {
    if (!loc.status().IsNotFound()) return loc.status();
    report.note = loc.status().message() + ": nothing is left";
    return report;
  }
  if (owner.task.empty() || loc->task() != owner.task ||
      (owner.start_ts != 0 && loc->start_ts() != owner.start_ts)) {
    report.note = storage.Describe() + " holds the log backup of task '" + loc->task() +
                  "' started at " + std::to_string(loc->start_ts()) + ", not this one's ('" +
                  owner.task + "' at " + std::to_string(owner.start_ts) + "); nothing deleted";
    return report;
  }
  report.owned = true;
  BRIX_ASSIGN_OR_RETURN(report.deleted, DeleteUnder(storage, "v1/", kLogLocationName));
  BRIX_RETURN_IF_ERROR(storage.Delete(kLogLocationName));  // the proof of ownership goes last
  ++report.deleted;
  return report;
}

}  // namespace

Status CheckLocationIsFree(const std::string& url, const EnvLookup& env, LocationKind kind) {
  BRIX_ASSIGN_OR_RETURN(Root root, OpenRoot(url, env));
  const std::string here = root.Show(root.prefix);
  // Above: every enclosing prefix, from the top down.
  std::vector<std::string> above;
  if (!root.prefix.empty()) {
    above.push_back("");
    for (size_t slash = root.prefix.find('/'); slash != std::string::npos;
         slash = root.prefix.find('/', slash + 1)) {
      above.push_back(root.prefix.substr(0, slash));
    }
  }
  for (const auto& path : above) {
    for (const auto& m : kMarkers) {
      BRIX_ASSIGN_OR_RETURN(bool exists, root.storage->Exists(Join(path, m.name)));
      if (exists) return Refuse(here, "is inside", m, path, root);
    }
  }
  // Here: the other kind's marker (the caller handles its own kind's).
  for (const auto& m : kMarkers) {
    if (m.kind == kind) continue;
    BRIX_ASSIGN_OR_RETURN(bool exists, root.storage->Exists(Join(root.prefix, m.name)));
    if (exists) return Refuse(here, "already holds", m, root.prefix, root);
  }
  // Below.
  const std::string below = root.prefix.empty() ? "" : root.prefix + "/";
  BRIX_ASSIGN_OR_RETURN(auto objects, root.storage->ListAll(below));
  for (const auto& o : objects) {
    std::string_view rel = std::string_view(o.name).substr(below.size());
    for (const auto& m : kMarkers) {
      std::string tail = std::string("/") + m.name;
      if (rel.size() > tail.size() && rel.ends_with(tail)) {
        std::string other(rel.substr(0, rel.size() - tail.size()));
        return Refuse(here, "contains", m, Join(root.prefix, other), root);
      }
    }
  }
  return Status::OK();
}

std::string RunFolder(const std::string& run_id) {
  return run_id.empty() ? "" : "run-" + run_id + "/";
}

Result<DeleteReport> DeleteOwnedObjects(const std::string& url, const EnvLookup& env,
                                        const RunOwner& owner) {
  BRIX_ASSIGN_OR_RETURN(auto storage, storage::OpenStorage(url, env));
  BRIX_ASSIGN_OR_RETURN(DeleteReport report, owner.kind == LocationKind::kLog
                                                 ? DeleteLogTask(*storage, owner)
                                                 : DeleteSnapshotRun(*storage, owner));
  if (!report.owned) spdlog::info("clean: {}", report.note);
  return report;
}

}  // namespace brix::br
