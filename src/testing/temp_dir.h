// TempDir: a fresh directory for one test, removed with its contents on destruction.
// (Loopback ports, polling and child processes are common/net_util.h and common/process.h.)
#pragma once

#include <string>

namespace brix::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The whole contents of `path`, or "" when it cannot be read (tests compare contents).
std::string FileContents(const std::string& path);

}  // namespace brix::testing
