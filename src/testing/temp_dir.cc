#include "testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>

#include "common/durable_file.h"

namespace brix::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/brix-test-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string FileContents(const std::string& path) {
  auto r = ReadWholeFile(path);
  return r.ok() ? *r : std::string();
}

}  // namespace brix::testing
