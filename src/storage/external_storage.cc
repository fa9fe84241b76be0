#include "storage/external_storage.h"

#include "common/parallel.h"

namespace brix::storage {

Result<bool> ExternalStorage::Exists(std::string_view name) {
  Result<ObjectInfo> info = Stat(name);
  if (info.ok()) return true;
  if (info.status().IsNotFound()) return false;
  return info.status();
}

Result<std::vector<ObjectInfo>> ExternalStorage::ListAll(std::string_view prefix) {
  std::vector<ObjectInfo> all;
  std::string token;
  do {
    BRIX_ASSIGN_OR_RETURN(ListPage page, List(prefix, token, 5000));
    for (auto& o : page.objects) all.push_back(std::move(o));
    token = std::move(page.next_token);
  } while (!token.empty());
  return all;
}

Result<uint64_t> ExternalStorage::DeletePrefix(std::string_view prefix, int parallelism) {
  uint64_t deleted = 0;
  std::string token;
  do {
    BRIX_ASSIGN_OR_RETURN(ListPage page, List(prefix, token, 5000));
    TaskGroup group(parallelism);
    for (const auto& o : page.objects) {
      if (!group.Submit([this, name = o.name] { return Delete(name); })) break;
    }
    BRIX_RETURN_IF_ERROR(group.Wait());
    deleted += page.objects.size();
    token = std::move(page.next_token);
  } while (!token.empty());
  return deleted;
}

Status ValidateObjectName(std::string_view name) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("object name '" + std::string(name) + "': " + why);
  };
  if (name.empty()) return bad("must not be empty");
  if (name.front() == '/') return bad("must not start with '/'");
  if (name.find('\0') != std::string_view::npos) return bad("must not contain NUL");
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view seg = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty()) return bad("must not contain empty segments ('//' or a trailing '/')");
    if (seg == "." || seg == "..") return bad("must not contain '.' or '..' segments");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::OK();
}

}  // namespace brix::storage
