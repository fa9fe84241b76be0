// A process's scratch folder under the system temp folder (TMPDIR), removed with what it holds
// when the ScratchDir goes out of scope.
//
// A process killed before that (kill -9, the OOM killer) cannot remove its folder, so the name
// says whose it is — <temp>/brix-<purpose>-<pid namespace>-<pid>-<random> — and every new
// ScratchDir of the same purpose first removes the folders of processes of its own pid namespace
// that no longer exist. It never removes a live process's folder: a folder of another pid
// namespace (another container sharing the temp folder) is left alone, and one whose pid now
// belongs to another process stays until that one has ended too.
#pragma once

#include <string>
#include <string_view>

namespace brix {

class ScratchDir {
 public:
  // `purpose`: letters and digits naming the user ("compact", "validate"). Creation errors are
  // not reported here: they show as the first file created in path().
  explicit ScratchDir(std::string_view purpose);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

  // The number of dead processes' folders of `purpose` removed (what the constructor does first).
  static int RemoveLeftovers(std::string_view purpose);

 private:
  std::string path_;
};

}  // namespace brix
