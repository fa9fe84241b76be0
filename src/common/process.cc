#include "common/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace brix {
namespace {

struct SpawnOptions {
  bool die_with_parent = true;
  bool inherit_env = true;  // false: the child's environment is exactly the given map
  mode_t log_mode = 0644;
};

std::vector<std::string> MergedEnv(const std::map<std::string, std::string>& extra, bool inherit) {
  std::map<std::string, std::string> all;
  for (char** e = environ; inherit && *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) all[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : all) out.push_back(k + "=" + v);
  return out;
}

Result<pid_t> Spawn(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env, const std::string& log_file,
                    const SpawnOptions& options) {
  if (argv.empty()) return Status::InvalidArgument("empty command");
  if (!options.inherit_env && argv[0].find('/') == std::string::npos) {
    return Status::InvalidArgument("an isolated process needs an absolute program path");
  }
  const bool die_with_parent = options.die_with_parent;
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = MergedEnv(env, options.inherit_env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int log_fd =
      ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, options.log_mode);
  if (log_fd < 0) return Status::IOError("open " + log_file + ": " + std::strerror(errno));
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(log_fd);
    return Status::IOError("pipe failed");
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // A test that crashes must not leave its servers running: they die with it.
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
    }
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (options.inherit_env) {
      ::execvpe(args[0], args.data(), envp.data());
    } else {
      ::execve(args[0], args.data(), envp.data());
    }
    int e = errno;
    ssize_t ignored = ::write(err_pipe[1], &e, sizeof(e));
    (void)ignored;
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(err_pipe[0]);
    return Status::IOError("fork failed");
  }
  int child_errno = 0;
  ssize_t n = ::read(err_pipe[0], &child_errno, sizeof(child_errno));
  ::close(err_pipe[0]);
  if (n == sizeof(child_errno)) {
    ::waitpid(pid, nullptr, 0);
    return Status::IOError("start " + argv[0] + ": " + std::strerror(child_errno));
  }
  return pid;
}

}  // namespace

ChildProcess::~ChildProcess() { Stop(); }

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

Result<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         const std::string& log_file, bool die_with_parent) {
  SpawnOptions o;
  o.die_with_parent = die_with_parent;
  BRIX_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, env, log_file, o));
  ChildProcess p;
  p.pid_ = pid;
  return p;
}

Result<ChildProcess> ChildProcess::StartIsolated(const std::vector<std::string>& argv,
                                                 const std::map<std::string, std::string>& env,
                                                 const std::string& log_file) {
  SpawnOptions o;
  o.inherit_env = false;
  o.log_mode = 0600;
  BRIX_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, env, log_file, o));
  ChildProcess p;
  p.pid_ = pid;
  return p;
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
}

void ChildProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env) {
  char path[] = "/tmp/brix-cmd-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return Status::IOError("mkstemp failed");
  ::close(fd);
  BRIX_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, env, path, SpawnOptions{}));
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ::unlink(path);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = ss.str();
  return r;
}

std::string BinDir() {
  if (const char* d = std::getenv("BRIX_BIN_DIR"); d && *d) return d;
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return std::filesystem::path(buf).parent_path().string();
}

std::string TailLines(const std::string& text, int64_t lines) {
  if (lines < 0) return text;
  if (lines == 0) return "";
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;  // the last line's own newline
  size_t pos = end;
  for (int64_t n = 0; n < lines; ++n) {
    size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos + 1);
}

std::string LogTail(const std::string& log_file, int64_t lines) {
  std::ifstream in(log_file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return TailLines(text, lines);
}

}  // namespace brix
