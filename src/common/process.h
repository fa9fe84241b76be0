// Child processes for the playground, the job runner and tests: start a program with arguments and
// extra environment (or, with StartIsolated, exactly the given environment), its output sent to a
// log file; stop it by pid (SIGTERM, then SIGKILL after a grace period). A ChildProcess that goes
// out of scope stops its process, so tests never leave processes behind. LogTail: why one died.
// BinDir: where the brix binaries those programs are started from live.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace brix {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;

  // argv[0] is looked up in PATH when it has no '/'. stdout and stderr go to `log_file`. With
  // die_with_parent the kernel kills the child if this process dies (even by SIGKILL or abort),
  // so a crashed test leaves nothing behind; the playground turns it off for daemons.
  [[nodiscard]] static Result<ChildProcess> Start(const std::vector<std::string>& argv,
                                                  const std::map<std::string, std::string>& env,
                                                  const std::string& log_file,
                                                  bool die_with_parent = true);
  // For processes that must not see this one's environment (the job runner's jobs): the child
  // gets exactly `env` (nothing of `environ`), argv[0] must be an absolute path (no PATH search
  // in this process's PATH), the log file is created 0600, and the child dies with this process.
  [[nodiscard]] static Result<ChildProcess> StartIsolated(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
      const std::string& log_file);

  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM, wait up to `grace`, then SIGKILL; reaps the child. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // SIGKILL right away (crash tests).
  void Kill();
  // Forgets the process without stopping it (daemons that outlive their starter).
  void Release() { pid_ = -1; }

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion, capturing stdout and stderr together (tests of CLIs).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
[[nodiscard]] Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                               const std::map<std::string, std::string>& env = {});

// Where the brix binaries are: the folder of the running executable (they are built together
// into build/bin), unless BRIX_BIN_DIR says otherwise. brixd starts `brix` jobs from it; the
// playground and tests start kvpd, kvnode and brixd from it.
std::string BinDir();

// The last `lines` lines of `text` (all of it when lines < 0, "" when 0).
std::string TailLines(const std::string& text, int64_t lines);
// The last `lines` lines of a child's log file, for an error that says why it died ("" when the
// file cannot be read).
std::string LogTail(const std::string& log_file, int64_t lines = 20);

}  // namespace brix
