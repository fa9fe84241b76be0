// brixd's recoverable-window page (docs/ui.md) in a real browser: headless Chromium (Debian's
// `chromium`) opens the playground's single-use login link against a cluster with a running log
// backup and two Complete snapshot backups; the DOM shows both snapshot marks at their commitTs,
// the window from the first snapshot to the log checkpoint the CR had, and an RPO figure. A
// screenshot is kept in build/test-output/UiE2e/ui.png.
//
// Chromium runs with --ignore-certificate-errors (brixd's certificate is self-signed; loopback
// only) and --no-sandbox when the test runs as root (Chromium refuses otherwise), its own
// --user-data-dir in the temp folder, in a process group of its own that is killed at the end.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

#include "operator/controller/controllers_e2e.h"

namespace brix {
namespace {

constexpr char kChromium[] = "/usr/bin/chromium";

// Runs Chromium headless on a fresh login link with `mode` ("--dump-dom" or
// "--screenshot=<file>"); returns what it printed (the DOM for --dump-dom).
class Browser {
 public:
  Browser(std::string dir, std::string pg) : dir_(std::move(dir)), pg_(std::move(pg)) {}

  std::string Run(const std::string& mode) {
    auto url = RunCommand({kBin + "/brix", "playground", "ui", "--dir", pg_});
    if (!url.ok() || url->exit_code != 0) return "";
    size_t at = url->output.find("https://");
    std::string link = url->output.substr(at, url->output.find('\n', at) - at);
    std::string log = dir_ + "/chromium-" + std::to_string(++runs_) + ".out";
    std::vector<std::string> argv = {kChromium,
                                     "--headless=new",
                                     "--disable-gpu",
                                     "--no-first-run",
                                     "--disable-extensions",
                                     "--disable-background-networking",
                                     "--disable-dev-shm-usage",
                                     "--ignore-certificate-errors",
                                     "--user-data-dir=" + dir_ + "/chromium-profile",
                                     "--window-size=1280,800",
                                     "--virtual-time-budget=2000",
                                     mode,
                                     link};
    if (::geteuid() == 0) argv.insert(argv.begin() + 1, "--no-sandbox");
    auto child = ChildProcess::Start(argv, {}, log);
    if (!child.ok()) return "";
    const pid_t pid = child->pid();
    // Exited, but not reaped (WNOWAIT): until Stop() reaps it, its pid and so its process group
    // id cannot be reused, and killing the group reaches only Chromium's own processes.
    bool done = PollUntil(
        [pid] {
          siginfo_t info{};
          return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                 info.si_pid == pid;
        },
        60s, 100ms);
    ::kill(-pid, SIGKILL);  // the whole group: renderer, GPU and utility processes too
    child->Stop();
    EXPECT_TRUE(done) << "chromium did not finish in 60 s";
    return testing::FileContents(log);
  }

 private:
  std::string dir_, pg_;
  int runs_ = 0;
};

// The values of attribute `attr` on elements whose class is `cls`, in document order.
std::vector<std::string> Attr(const std::string& dom, const std::string& cls,
                              const std::string& attr) {
  std::vector<std::string> out;
  std::regex element("<[a-z]+ [^>]*class=\"" + cls + "\"[^>]*>");
  std::regex value(attr + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), element);
       it != std::sregex_iterator(); ++it) {
    std::smatch m;
    std::string tag = it->str();
    if (std::regex_search(tag, m, value)) out.push_back(m[1]);
  }
  return out;
}

TEST_F(OneClusterTest, UiPageShowsSnapshotsWindowAndRpoInHeadlessChromium) {
  if (::access(kChromium, X_OK) != 0) {
    GTEST_SKIP() << "chromium is not installed at " << kChromium << " (scripts/setup installs it)";
  }
  ASSERT_EQ(Kvctl({"load", "--table", "db1.table1", "--rows", "100"}).exit_code, 0);
  ASSERT_EQ(Kubectl({"apply", "-f", kSeed + "log-backup-azblob.yaml"}).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "demo1-log-backup-azblob", "phase", {"Running", "Failed"}),
            "Running");
  ASSERT_TRUE(PollUntil(
      [&] { return !Field("backup", "demo1-log-backup-azblob", "commitTs").empty(); }, 60s, 200ms));
  ASSERT_EQ(Apply(FullBackupYaml("demo1-full-1", "ui-full-1")).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "demo1-full-1", "phase", {"Complete", "Failed"}), "Complete");
  ASSERT_EQ(Apply(FullBackupYaml("demo1-full-2", "ui-full-2")).exit_code, 0);
  ASSERT_EQ(WaitFor("backup", "demo1-full-2", "phase", {"Complete", "Failed"}), "Complete");
  const std::string first = Field("backup", "demo1-full-1", "commitTs");
  const std::string second = Field("backup", "demo1-full-2", "commitTs");
  // The checkpoint passes the second snapshot, so both lie inside the log's coverage.
  ASSERT_TRUE(CheckpointReaches("demo1-log-backup-azblob", std::stoull(second) + 1));

  Browser browser(dir_.path(), pg_);
  std::string dom;
  uint64_t checkpoint_before = 0, checkpoint_after = 0;
  ASSERT_TRUE(PollUntil(
      [&] {
        checkpoint_before =
            std::stoull(Field("backup", "demo1-log-backup-azblob", "logCheckpointTs"));
        dom = browser.Run("--dump-dom");
        checkpoint_after =
            std::stoull(Field("backup", "demo1-log-backup-azblob", "logCheckpointTs"));
        return !Attr(dom, "rpo", "data-rpo-seconds").empty();
      },
      120s, 500ms))
      << dom;
  // One row, for test1/demo1, with both snapshots marked at their commitTs.
  EXPECT_EQ(Attr(dom, "cluster", "data-cluster"), std::vector<std::string>{"test1/demo1"});
  auto marks = Attr(dom, "snapshot", "data-ts");
  EXPECT_EQ(std::set<std::string>(marks.begin(), marks.end()),
            (std::set<std::string>{first, second}))
      << dom;
  // The window: from the first snapshot to the checkpoint the CR had while the page loaded.
  auto starts = Attr(dom, "window", "data-start-ts");
  auto ends = Attr(dom, "window", "data-end-ts");
  ASSERT_EQ(starts.size(), 1u) << dom;
  ASSERT_EQ(ends.size(), 1u) << dom;
  EXPECT_EQ(starts[0], first);
  EXPECT_GE(std::stoull(ends[0]), checkpoint_before);
  EXPECT_LE(std::stoull(ends[0]), checkpoint_after);
  EXPECT_EQ(Attr(dom, "log-coverage", "data-to-ms").size(), 1u);
  EXPECT_TRUE(Attr(dom, "gap", "x").empty()) << "a running log backup has no gap";
  // The RPO: the flush interval here is 1 s; the browser's virtual clock runs up to 2 s on.
  double rpo = std::stod(Attr(dom, "rpo", "data-rpo-seconds")[0]);
  EXPECT_GE(rpo, 0);
  EXPECT_LT(rpo, 60) << dom;
  EXPECT_NE(dom.find("RPO "), std::string::npos);
  EXPECT_NE(dom.find("live: updated"), std::string::npos);

  // A screenshot, kept after the temp folder goes.
  std::string shot = dir_.path() + "/ui.png";
  browser.Run("--screenshot=" + shot);
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 10'000u);
  std::string keep = kBin + "/../test-output/UiE2e";
  std::filesystem::create_directories(keep);
  std::filesystem::copy_file(shot, keep + "/ui.png",
                             std::filesystem::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace brix
