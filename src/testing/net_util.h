// Test helpers: temp folders, plus the loopback helpers of common/net_util.h.
#pragma once

#include <string>

#include "common/net_util.h"

namespace brix::testing {

using brix::FreeLoopbackPort;
using brix::PollUntil;
using brix::WaitForPort;

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

}  // namespace brix::testing
