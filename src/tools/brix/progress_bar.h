// A one-line progress bar on stderr for BR's long operations, drawn only on a terminal.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "br/progress.h"

namespace brix::tools {

class ProgressBar {
 public:
  // Draws nothing unless stderr is a terminal and `enabled`.
  explicit ProgressBar(bool enabled);
  ~ProgressBar();  // ends the line
  br::ProgressFn Callback();

 private:
  void Draw(const br::Progress& p);
  bool enabled_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace brix::tools
