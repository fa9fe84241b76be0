#include "operator/jobs/job_runner.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/process.h"
#include "operator/api/backup_status.h"
#include "operator/api/job_kind.h"
#include "operator/jobs/pod_template.h"

namespace brix::jobs {

using client::Json;

namespace {

bool HasTrueCondition(const Json& job, const char* type) {
  if (!job.contains("status") || !job["status"].contains("conditions")) return false;
  for (const auto& c : job["status"]["conditions"]) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

bool Finished(const Json& job) {
  return HasTrueCondition(job, "Complete") || HasTrueCondition(job, "Failed");
}

int64_t StatusInt(const Json& job, const char* key) {
  if (!job.contains("status") || !job["status"].is_object()) return 0;
  const Json& v = job["status"].value(key, Json(0));
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

std::string Key(const Json& job) { return client::UidOf(job); }

// The last non-empty line of a file (the reason a manager printed before failing).
std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  if (last.size() > 500) last = last.substr(last.size() - 500);
  return last;
}

// Creates `dir` (and its parents) and makes it 0700.
Status PrivateDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("create " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return Status::IOError("chmod " + dir);
  return Status::OK();
}

// Opens (creating 0600, never through a symlink) the job's log and appends `header`.
Status StartLog(const std::string& path, const std::string& header) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("open " + path);
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, header.data(), header.size()) == static_cast<ssize_t>(header.size());
  ::close(fd);
  return ok ? Status::OK() : Status::IOError("write " + path);
}

// The served kind a Job's owner reference names (nullptr: not one of ours).
const api::ResourceInfo* OwnerInfo(const Json& ref) {
  for (const auto& r : api::AllResources()) {
    if (r.kind == ref.value("kind", "") && r.group_version() == ref.value("apiVersion", "")) {
      return &r;
    }
  }
  return nullptr;
}

// Tells the Job's owner, in an Event, which of its fields only a Kubernetes cluster applies.
void NoteKubernetesOnlyFields(client::ApiClient& client, const Json& job) {
  std::vector<std::string> fields = KubernetesOnlyFields(job);
  if (fields.empty()) return;
  std::string list;
  for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f;
  for (const auto& ref : job["metadata"].value("ownerReferences", Json::array())) {
    const api::ResourceInfo* info = OwnerInfo(ref);
    if (info == nullptr) continue;
    auto owner = client.Get(*info, client::NamespaceOf(job), ref.value("name", ""));
    if (!owner.ok() || client::UidOf(*owner) != ref.value("uid", "")) continue;
    client::RecordEvent(client, *info, *owner, "Normal", kKubernetesOnlyReason,
                        list + " of job " + client::NameOf(job) +
                            " apply only on Kubernetes: brixd's local job runner runs it as a "
                            "process on this host and ignores them");
  }
}

}  // namespace

struct JobRunner::Running {
  ChildProcess process;
  std::string ns, name, log_file, work_dir;
};

JobRunner::JobRunner(client::ApiClient* client, JobRunnerOptions options)
    : client_(client), options_(std::move(options)) {}

JobRunner::~JobRunner() { Stop(); }

Status JobRunner::Start() {
  auto w = client_->Watch(client::Jobs(), [this](const client::WatchEvent&) { Wake(); });
  if (w.ok()) {
    watch_ = std::move(w).value();
  } else if (w.status().code() != Status::Code::kNotSupported) {
    return w.status();
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

void JobRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  watch_.reset();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void JobRunner::Loop() {
  auto next_sync = std::chrono::steady_clock::now();
  for (;;) {
    bool sync = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // While jobs run, look for exits often: a Job should say Complete right after its process
      // ends, not a resync later.
      auto wait = running_.empty() ? options_.resync : std::chrono::milliseconds(50);
      cv_.wait_for(lock, wait, [this] { return stop_ || dirty_; });
      if (stop_) break;
      sync = dirty_ || std::chrono::steady_clock::now() >= next_sync;
      dirty_ = false;
    }
    try {
      if (sync) {
        SyncOnce();
        next_sync = std::chrono::steady_clock::now() + options_.resync;
      } else {
        Reap();
      }
    } catch (const std::exception& e) {
      spdlog::error("job runner: unexpected object shape: {}", e.what());
    }
  }
  // Processes were forked from this thread; stop them before it ends.
  for (auto& [uid, r] : running_) r->process.Stop(std::chrono::milliseconds(2000));
  running_.clear();
}

void JobRunner::Reap() {
  for (auto it = running_.begin(); it != running_.end();) {
    Running& r = *it->second;
    int wstatus = 0;
    pid_t pid = r.process.pid();
    if (::waitpid(pid, &wstatus, WNOHANG) != pid) {
      ++it;
      continue;
    }
    r.process.Release();  // reaped here: the exit status is ours to read
    bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    std::string why = WIFEXITED(wstatus) ? "exit code " + std::to_string(WEXITSTATUS(wstatus))
                                         : "killed by signal " + std::to_string(WTERMSIG(wstatus));
    std::string last = LastLine(r.log_file);
    std::string uid = it->first;
    auto written = client::MutateStatus(*client_, client::Jobs(), r.ns, r.name, [&](Json& job) {
      if (client::UidOf(job) != uid) return false;
      Json& st = job["status"];
      st["active"] = 0;
      std::string now = api::NowRfc3339();
      if (ok) {
        st["succeeded"] = StatusInt(job, "succeeded") + 1;
        st["completionTime"] = now;
        st["conditions"] =
            Json::array({{{"type", "Complete"}, {"status", "True"}, {"lastTransitionTime", now}}});
      } else {
        st["failed"] = StatusInt(job, "failed") + 1;
        st["lastFailure"] = why + (last.empty() ? "" : ": " + last);
      }
      return true;
    });
    if (!written.ok() && !written.status().IsNotFound()) {
      spdlog::warn("job {}/{}: cannot record its end: {}", r.ns, r.name,
                   written.status().ToString());
      ++it;  // keep it; the next pass retries (the process is already reaped)
      continue;
    }
    spdlog::info("job {}/{} ended: {}", r.ns, r.name, ok ? "succeeded" : why);
    std::error_code ec;
    std::filesystem::remove_all(r.work_dir, ec);
    it = running_.erase(it);
  }
}

Status JobRunner::Launch(const Json& job, const BrixJob& spec, int attempt) {
  std::string ns = client::NamespaceOf(job), name = client::NameOf(job);
  BRIX_ASSIGN_OR_RETURN(JobPaths paths, PathsFor(options_.state_dir, ns, name));
  const Json container = job.at(Json::json_pointer("/spec/template/spec/containers/0"));
  client::ApiClient& tokens = options_.token_client ? *options_.token_client : *client_;
  JobEnvBase base;
  base.api_server = options_.api_server;
  base.api_ca_file = options_.api_ca_file;
  base.home = paths.work_dir;
  base.fixed = options_.job_env;
  BRIX_ASSIGN_OR_RETURN(base.token, client::RequestServiceAccountToken(
                                        tokens, ns, spec.service_account, options_.token_ttl));
  BRIX_ASSIGN_OR_RETURN(auto env, BuildJobEnv(
                                      container,
                                      [&](const std::string& secret) {
                                        return client_->Get(client::Secrets(), ns, secret);
                                      },
                                      base));
  BRIX_RETURN_IF_ERROR(PrivateDir(options_.state_dir + "/jobs"));
  BRIX_RETURN_IF_ERROR(PrivateDir(paths.dir));
  std::error_code ec;
  std::filesystem::remove_all(paths.work_dir, ec);  // a fresh folder for every attempt
  BRIX_RETURN_IF_ERROR(PrivateDir(paths.work_dir));
  BRIX_RETURN_IF_ERROR(StartLog(
      paths.log, api::AttemptHeader(api::NowRfc3339(), attempt, name, ns, spec.service_account)));
  std::vector<std::string> argv = {options_.brix_binary};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  BRIX_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::StartIsolated(argv, env, paths.log));
  pid_t pid = child.pid();
  auto r = std::make_unique<Running>();
  r->process = std::move(child);
  r->ns = ns;
  r->name = name;
  r->log_file = paths.log;
  r->work_dir = paths.work_dir;
  std::string uid = client::UidOf(job);
  running_[uid] = std::move(r);
  spdlog::info("job {}/{} started (pid {}, attempt {}, log {})", ns, name, pid, attempt, paths.log);
  auto annotated = client::MutateObject(*client_, client::Jobs(), ns, name, [&](Json& j) {
    if (client::UidOf(j) != uid) return false;
    j["metadata"]["annotations"][kLogFileAnnotation] = paths.log;
    return true;
  });
  annotated.status().IgnoreError();
  auto written = client::MutateStatus(*client_, client::Jobs(), ns, name, [&](Json& j) {
    if (client::UidOf(j) != uid) return false;
    Json& st = j["status"];
    st["active"] = 1;
    if (!st.contains("startTime")) st["startTime"] = api::NowRfc3339();
    return true;
  });
  written.status().IgnoreError();  // the next pass sees the process either way
  if (attempt == 1) NoteKubernetesOnlyFields(*client_, job);
  return Status::OK();
}

void JobRunner::SyncOnce() {
  Reap();
  auto jobs = client_->List(client::Jobs(), "");
  if (!jobs.ok()) {
    spdlog::warn("job runner: list jobs: {}", jobs.status().ToString());
    return;
  }
  std::set<std::string> present;
  for (const Json& job : *jobs) {
    std::string uid = Key(job), ns = client::NamespaceOf(job), name = client::NameOf(job);
    present.insert(uid);
    // Garbage collection: the controller owner is gone (or was replaced by a namesake).
    bool orphan = false;
    for (const auto& ref : job["metadata"].value("ownerReferences", Json::array())) {
      const api::ResourceInfo* info = OwnerInfo(ref);
      if (info == nullptr) continue;
      auto owner = client_->Get(*info, ns, ref.value("name", ""));
      if ((!owner.ok() && owner.status().IsNotFound()) ||
          (owner.ok() && client::UidOf(*owner) != ref.value("uid", ""))) {
        orphan = true;
      }
    }
    if (orphan) {
      spdlog::info("job {}/{}: its owner is gone; deleting it", ns, name);
      if (auto it = running_.find(uid); it != running_.end()) {
        it->second->process.Stop(std::chrono::milliseconds(2000));
        running_.erase(it);
      }
      client_->Delete(client::Jobs(), ns, name).IgnoreError();
      present.erase(uid);
      continue;
    }
    if (Finished(job) || running_.count(uid)) continue;
    if (job["metadata"].contains("deletionTimestamp")) continue;
    auto brix_job = CheckBrixJob(job);
    if (!brix_job.ok()) {
      spdlog::warn("job {}/{} is not a brix job; not running it", ns, name);
      auto w = client::MutateStatus(*client_, client::Jobs(), ns, name, [&](Json& j) {
        if (client::UidOf(j) != uid) return false;
        j["status"]["active"] = 0;
        j["status"]["conditions"] = Json::array({{{"type", "Failed"},
                                                  {"status", "True"},
                                                  {"reason", kNotABrixJobReason},
                                                  {"message", brix_job.status().message()},
                                                  {"lastTransitionTime", api::NowRfc3339()}}});
        return true;
      });
      w.status().IgnoreError();  // the next pass tries again
      continue;
    }
    int64_t failed = StatusInt(job, "failed");
    std::string last = job.contains("status") ? job["status"].value("lastFailure", "") : "";
    int64_t backoff_limit = job.value(Json::json_pointer("/spec/backoffLimit"), 6);
    if (StatusInt(job, "active") > 0) {
      // Active in the API but not ours: brixd restarted under it, and its process died with the
      // old brixd (PR_SET_PDEATHSIG). No pid is read from the object: count the attempt failed.
      ++failed;
      auto w = client::MutateStatus(*client_, client::Jobs(), ns, name, [&](Json& j) {
        if (client::UidOf(j) != uid) return false;
        j["status"]["active"] = 0;
        j["status"]["failed"] = failed;
        last = "process lost: brixd restarted while the job ran";
        j["status"]["lastFailure"] = last;
        return true;
      });
      if (!w.ok()) continue;
    }
    if (failed > backoff_limit) {
      auto w = client::MutateStatus(*client_, client::Jobs(), ns, name, [&](Json& j) {
        if (client::UidOf(j) != uid) return false;
        std::string now = api::NowRfc3339();
        j["status"]["conditions"] = Json::array(
            {{{"type", "Failed"},
              {"status", "True"},
              {"reason", "BackoffLimitExceeded"},
              {"message", "Job has reached the specified backoff limit" +
                              (last.empty() ? std::string() : " (last attempt: " + last + ")")},
              {"lastTransitionTime", now}}});
        return true;
      });
      w.status().IgnoreError();
      continue;
    }
    Status s = Launch(job, *brix_job, static_cast<int>(failed) + 1);
    if (!s.ok()) {
      spdlog::warn("job {}/{}: cannot start: {}", ns, name, s.ToString());
      auto w = client::MutateStatus(*client_, client::Jobs(), ns, name, [&](Json& j) {
        if (client::UidOf(j) != uid) return false;
        j["status"]["failed"] = failed + 1;
        j["status"]["lastFailure"] = "cannot start: " + s.message();
        return true;
      });
      w.status().IgnoreError();
    }
  }
  // Jobs deleted while running: stop their processes.
  for (auto it = running_.begin(); it != running_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    spdlog::info("job {}/{} was deleted; stopping it", it->second->ns, it->second->name);
    it->second->process.Stop(std::chrono::milliseconds(2000));
    it = running_.erase(it);
  }
}

}  // namespace brix::jobs
