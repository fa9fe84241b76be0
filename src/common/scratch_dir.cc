#include "common/scratch_dir.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "common/random.h"

namespace brix {
namespace {

namespace fs = std::filesystem;

// The inode of this process's pid namespace (0 when /proc does not say).
std::string PidNamespace() {
  struct stat st;
  if (::stat("/proc/self/ns/pid", &st) != 0) return "0";
  return std::to_string(st.st_ino);
}

std::string Prefix(std::string_view purpose) {
  return "brix-" + std::string(purpose) + "-" + PidNamespace() + "-";
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

ScratchDir::ScratchDir(std::string_view purpose) {
  RemoveLeftovers(purpose);
  path_ =
      (fs::temp_directory_path() / (Prefix(purpose) + std::to_string(::getpid()) + "-" + NewUuid()))
          .string();
  std::error_code ec;
  fs::create_directories(path_, ec);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int ScratchDir::RemoveLeftovers(std::string_view purpose) {
  if (PidNamespace() == "0") return 0;  // cannot tell this namespace's pids from others'
  const std::string prefix = Prefix(purpose);
  std::error_code ec;
  fs::directory_iterator it(fs::temp_directory_path(ec), ec);
  int removed = 0;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    pid_t pid = 0;
    auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (err != std::errc() || pid <= 0 || end == rest.data() + rest.size() || *end != '-') continue;
    if (pid == ::getpid() || Alive(pid)) continue;
    std::error_code rm;
    if (fs::remove_all(it->path(), rm) > 0 && !rm) ++removed;
  }
  return removed;
}

}  // namespace brix
