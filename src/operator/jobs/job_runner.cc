#include "operator/jobs/job_runner.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/encoding.h"
#include "common/process.h"
#include "operator/api/backup_status.h"

namespace brix::jobs {

using client::Json;

namespace {

constexpr char kPidAnnotation[] = "brix.pingcap.com/pid";

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
  if (last.size() > 300) last = last.substr(last.size() - 300);
  return last;
}

// Whether `pid` is alive and a brix manager (not a recycled pid of something else).
bool IsOurManager(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string all((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  return all.find("manager") != std::string::npos;
}

}  // namespace

struct JobRunner::Running {
  ChildProcess process;
  std::string ns, name, log_file;
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
    it = running_.erase(it);
  }
}

Status JobRunner::Launch(const Json& job, int attempt) {
  std::string ns = client::NamespaceOf(job), name = client::NameOf(job);
  // A json_pointer lookup: any Job shape, even one a user wrote by hand, is safe to read.
  const Json containers =
      job.value(Json::json_pointer("/spec/template/spec/containers"), Json::array());
  if (!containers.is_array() || containers.empty()) {
    return Status::InvalidArgument("the job has no container");
  }
  const Json& c = containers[0];
  std::vector<std::string> argv;
  for (const auto& a : c.value("command", Json::array())) argv.push_back(a.get<std::string>());
  for (const auto& a : c.value("args", Json::array())) argv.push_back(a.get<std::string>());
  if (argv.empty()) return Status::InvalidArgument("the job's container has no command");
  if (argv[0] == "brix") argv[0] = options_.brix_binary;
  std::map<std::string, std::string> env = options_.api_env;
  std::map<std::string, Json> secrets;  // read once per launch
  for (const auto& e : c.value("env", Json::array())) {
    std::string key = e.value("name", "");
    if (e.contains("value")) {
      env[key] = e["value"].get<std::string>();
      continue;
    }
    if (!e.contains("valueFrom") || !e["valueFrom"].contains("secretKeyRef")) continue;
    const Json& ref = e["valueFrom"]["secretKeyRef"];
    std::string secret_name = ref.value("name", "");
    if (!secrets.count(secret_name)) {
      auto s = client_->Get(client::Secrets(), ns, secret_name);
      if (!s.ok()) {
        if (s.status().IsNotFound() && ref.value("optional", false)) {
          secrets[secret_name] = Json::object();
          continue;
        }
        return s.status().WithContext("secret " + ns + "/" + secret_name);
      }
      secrets[secret_name] = *s;
    }
    const Json& secret = secrets[secret_name];
    std::string k = ref.value("key", "");
    if (secret.contains("data") && secret["data"].contains(k)) {
      auto v = Base64Decode(secret["data"][k].get<std::string>());
      if (v) env[key] = *v;
    } else if (secret.contains("stringData") && secret["stringData"].contains(k)) {
      env[key] = secret["stringData"][k].get<std::string>();
    } else if (!ref.value("optional", false)) {
      return Status::NotFound("secret " + ns + "/" + secret_name + " has no key " + k);
    }
  }
  std::string dir = options_.state_dir + "/jobs/" + ns;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string log = dir + "/" + name + ".log";
  {
    std::ofstream out(log, std::ios::app);
    out << "=== " << api::NowRfc3339() << " attempt " << attempt << ": " << name << "\n";
  }
  BRIX_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Start(argv, env, log));
  pid_t pid = child.pid();
  auto r = std::make_unique<Running>();
  r->process = std::move(child);
  r->ns = ns;
  r->name = name;
  r->log_file = log;
  std::string uid = client::UidOf(job);
  running_[uid] = std::move(r);
  spdlog::info("job {}/{} started (pid {}, attempt {}, log {})", ns, name, pid, attempt, log);
  auto annotated = client::MutateObject(*client_, client::Jobs(), ns, name, [&](Json& j) {
    if (client::UidOf(j) != uid) return false;
    j["metadata"]["annotations"][kLogFileAnnotation] = log;
    j["metadata"]["annotations"][kPidAnnotation] = std::to_string(pid);
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
      const api::ResourceInfo* info = nullptr;
      for (const auto& r : api::AllResources()) {
        if (r.kind == ref.value("kind", "") && r.group_version() == ref.value("apiVersion", "")) {
          info = &r;
        }
      }
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
    int64_t failed = StatusInt(job, "failed");
    std::string last = job.contains("status") ? job["status"].value("lastFailure", "") : "";
    int64_t backoff_limit = job.value(Json::json_pointer("/spec/backoffLimit"), 6);
    if (StatusInt(job, "active") > 0) {
      // Active in the API but not ours: brixd restarted under it. Make sure the old process is
      // gone before anything else runs, then count the attempt as failed.
      std::string pid_text =
          job["metadata"].value("annotations", Json::object()).value(kPidAnnotation, "");
      pid_t old = pid_text.empty() ? -1 : static_cast<pid_t>(std::atol(pid_text.c_str()));
      if (IsOurManager(old)) {
        ::kill(old, SIGKILL);
        continue;  // the next pass finds it gone
      }
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
    Status s = Launch(job, static_cast<int>(failed) + 1);
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
