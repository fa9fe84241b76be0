#include "storage/local/local_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/durable_file.h"

namespace brix::storage {
namespace {

namespace fs = std::filesystem;

class LocalStorage final : public ExternalStorage {
 public:
  explicit LocalStorage(std::string root) : root_(std::move(root)) {}

  std::string Describe() const override { return "local://" + root_; }

  Status Put(std::string_view name, std::string_view data, const PutOptions& options) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    BRIX_ASSIGN_OR_RETURN(DurableFile file, CreateTemp(name, options.if_absent));
    BRIX_RETURN_IF_ERROR(file.Append(data));
    return Commit(file, name);
  }

  Status PutStream(std::string_view name, ByteSource& source) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    BRIX_ASSIGN_OR_RETURN(DurableFile file, CreateTemp(name, /*if_absent=*/false));
    if (std::optional<uint64_t> size = source.Size(); size && source.NativeFile() >= 0) {
      // A local file handed over (a node's finished SST) becomes the object itself where it is on
      // this filesystem; any other local file is copied by the kernel, no buffer in between.
      if (source.NativeFileHandedOver()) {
        BRIX_ASSIGN_OR_RETURN(bool linked, file.LinkFile(source.NativeFile(), *size));
        if (linked) return Commit(file, name);
      }
      BRIX_RETURN_IF_ERROR(file.AppendFile(source.NativeFile(), *size));
      return Commit(file, name);
    }
    std::string buf(1 << 20, '\0');
    while (true) {  // an early return discards the temp file
      BRIX_ASSIGN_OR_RETURN(size_t n, source.Read(buf.data(), buf.size()));
      if (n == 0) break;
      BRIX_RETURN_IF_ERROR(file.Append(std::string_view(buf.data(), n)));
    }
    return Commit(file, name);
  }

  Result<std::string> Get(std::string_view name, std::optional<ByteRange> range) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string path = PathOf(name);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus("open " + path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path, errno);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t offset = range ? range->offset : 0;
    if (range && offset >= size && !(offset == 0 && size == 0)) {
      return Status::InvalidArgument("range offset " + std::to_string(offset) +
                                     " is past the end of '" + std::string(name) + "' (" +
                                     std::to_string(size) + " bytes)");
    }
    uint64_t len = size - offset;
    if (range && range->length) len = std::min(len, *range->length);
    std::string out(len, '\0');
    uint64_t done = 0;
    while (done < len) {
      ssize_t r =
          ::pread(fd.get(), out.data() + done, len - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("read " + path, errno);
      }
      if (r == 0) return Status::IOError("read " + path + ": file shrank while reading");
      done += static_cast<uint64_t>(r);
    }
    return out;
  }

  Status GetStream(std::string_view name, ByteSink& sink) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string path = PathOf(name);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus("open " + path, errno);
    std::string buf(1 << 20, '\0');
    for (;;) {
      ssize_t r = ::read(fd.get(), buf.data(), buf.size());
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("read " + path, errno);
      }
      if (r == 0) return Status::OK();
      BRIX_RETURN_IF_ERROR(sink.Write(std::string_view(buf.data(), static_cast<size_t>(r))));
    }
  }

  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        int max_results) override {
    // Walk only the directory the prefix points into; names are compared as whole strings.
    std::string dir_part(
        prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/') + 1));
    fs::path start = dir_part.empty() ? fs::path(root_) : fs::path(root_) / dir_part;
    // Every entry's path begins with the root as spelled here; the name is the rest. (Not
    // fs::relative: it stats each path, and a writer's temp file renamed into place between the
    // directory read and that stat failed the whole listing.)
    const std::string root_prefix = (fs::path(root_) / "").generic_string();
    std::vector<ObjectInfo> matches;
    std::error_code ec;
    if (!fs::is_directory(start, ec)) return ListPage{};
    // An entry that vanished after the directory was read (a temp file renamed, an object
    // deleted) is not listed: it was not there when the listing ended.
    auto vanished = [&ec] {
      if (ec != std::errc::no_such_file_or_directory) return false;
      ec.clear();
      return true;
    };
    for (auto it = fs::recursive_directory_iterator(start, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::string path = it->path().generic_string();
      if (path.compare(0, root_prefix.size(), root_prefix) != 0) {
        return Status::Internal("list " + start.string() + ": " + path + " is not under " +
                                root_prefix);
      }
      std::string rel = path.substr(root_prefix.size());
      if (rel.find(kLocalTempMarker) != std::string::npos) continue;
      if (!it->is_regular_file(ec)) {
        if (ec && !vanished()) break;
        continue;
      }
      if (rel.compare(0, prefix.size(), prefix) != 0) continue;
      if (!page_token.empty() && rel <= page_token) continue;
      const uint64_t size = it->file_size(ec);
      if (ec) {
        if (vanished()) continue;
        break;
      }
      matches.push_back({rel, size});
    }
    if (ec) return Status::IOError("list " + start.string() + ": " + ec.message());
    std::sort(matches.begin(), matches.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; });
    ListPage page;
    size_t limit = static_cast<size_t>(std::max(1, max_results));
    if (matches.size() > limit) {
      matches.resize(limit);
      page.next_token = matches.back().name;
    }
    page.objects = std::move(matches);
    return page;
  }

  Status Delete(std::string_view name) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string path = PathOf(name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("unlink " + path, errno);
    return Status::OK();
  }

  std::optional<std::string> LocalFile(std::string_view name) const override {
    if (!ValidateObjectName(name).ok()) return std::nullopt;
    return PathOf(name);
  }

  Result<ObjectInfo> Stat(std::string_view name) override {
    BRIX_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string path = PathOf(name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat " + path, errno);
    if (!S_ISREG(st.st_mode)) return Status::NotFound(path + " is not a file");
    return ObjectInfo{std::string(name), static_cast<uint64_t>(st.st_size)};
  }

 private:
  std::string PathOf(std::string_view name) const { return root_ + "/" + std::string(name); }

  // A durable temp file beside the object (common/durable_file.h); List() skips its name.
  Result<DurableFile> CreateTemp(std::string_view name, bool if_absent) {
    return DurableFile::Create(PathOf(name),
                               {.if_absent = if_absent, .temp_marker = kLocalTempMarker});
  }

  // Makes the temp file the object: fsync, rename (link if absent), fsync the folder.
  Status Commit(DurableFile& file, std::string_view name) {
    Status s = file.Commit();
    if (s.IsAlreadyExists()) {
      return Status::AlreadyExists("object '" + std::string(name) + "' already exists in " +
                                   Describe());
    }
    return s;
  }

  const std::string root_;
};

}  // namespace

Result<std::unique_ptr<ExternalStorage>> OpenLocalStorage(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::IOError("create directory " + root + ": " + ec.message());
  return std::unique_ptr<ExternalStorage>(std::make_unique<LocalStorage>(root));
}

}  // namespace brix::storage
