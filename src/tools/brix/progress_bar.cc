#include "tools/brix/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace brix::tools {

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stderr);
}

br::ProgressFn ProgressBar::Callback() {
  if (!enabled_) return {};
  return [this](const br::Progress& p) { Draw(p); };
}

void ProgressBar::Draw(const br::Progress& p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  bool finished = p.total > 0 && p.done >= p.total;
  if (drawn_ && !finished && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 30;
  double frac = p.total ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0.0;
  int fill = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(fill), '=');
  if (fill < kWidth) bar += '>';
  bar.resize(kWidth, ' ');
  std::fprintf(stderr, "\r%-9s [%s] %5.1f%% %llu/%llu  %.1f MiB   ", p.step.c_str(), bar.c_str(),
               frac * 100, static_cast<unsigned long long>(p.done),
               static_cast<unsigned long long>(p.total), static_cast<double>(p.bytes) / (1 << 20));
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace brix::tools
