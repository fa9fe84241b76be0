// StdioFile: an owned std::FILE* that is closed when it goes out of scope, for local scratch files
// read and written through stdio's buffering (the log flush's data file, compaction's sorted runs).
// A close error is not reported here: callers that must know (a file about to be uploaded or
// merged) fflush and check ferror before they use what they wrote.
#pragma once

#include <cstdio>
#include <memory>

namespace brix {

struct StdioFileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using StdioFile = std::unique_ptr<std::FILE, StdioFileCloser>;

}  // namespace brix
