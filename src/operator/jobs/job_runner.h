// JobRunner: brixd's stand-in for the Kubernetes Job controller and kubelet (DESIGN §6). Every
// batch/v1 Job in the API is run as a local process: the first container's command and args,
// where a command of "brix" means the brix binary next to brixd. Environment comes from the
// container's `env` (literal values, and secretKeyRef values read from the Secret at launch, so
// credentials reach the process as environment and never appear in a command line, a log or
// the Job object) plus the API address and token the process needs to write its CR's status.
//
// Job status follows Kubernetes: active/startTime while running, succeeded + Complete, or
// failed + Failed once spec.backoffLimit retries are used up (each failure starts a new
// attempt until then). Output of every attempt is appended to
// <state>/jobs/<namespace>/<job>.log (annotation brix.pingcap.com/log-file).
//
// Garbage collection: a Job whose controller owner (ownerReferences) is gone is stopped and
// deleted, as Kubernetes' garbage collector does. A Job deleted while it runs is stopped.
//
// Crash safety: processes die with brixd (PR_SET_PDEATHSIG). After a restart, a Job that was
// active has lost its process; that counts as a failed attempt ("process lost"), so a job
// never runs twice at once and never stays active forever.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "operator/client/api_client.h"

namespace brix::jobs {

struct JobRunnerOptions {
  std::string state_dir;    // logs go to <state_dir>/jobs
  std::string brix_binary;  // what command "brix" runs
  // Given to every process: how to reach the API (BRIX_API_SERVER, BRIX_API_TOKEN,
  // BRIX_API_CA_FILE).
  std::map<std::string, std::string> api_env;
  std::chrono::milliseconds resync{1000};
};

class JobRunner {
 public:
  // `client` must outlive the runner.
  JobRunner(client::ApiClient* client, JobRunnerOptions options);
  ~JobRunner();  // Stop()

  // Starts the runner's thread (and a watch on Jobs, so new Jobs start without waiting for the
  // resync).
  [[nodiscard]] Status Start();
  // Stops the thread and every running job process.
  void Stop();

  // One pass over all Jobs (exposed for tests; the thread calls it).
  void SyncOnce();

 private:
  struct Running;
  void Loop();
  void Wake();
  Status Launch(const client::Json& job, int attempt);
  // Reaps exited processes and records their outcome in the Job's status.
  void Reap();

  client::ApiClient* client_;
  JobRunnerOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool dirty_ = false;
  std::thread thread_;
  std::unique_ptr<client::WatchHandle> watch_;
  std::map<std::string, std::unique_ptr<Running>> running_;  // by job uid; runner thread only
};

// The annotation that tells where a Job's output is.
inline constexpr char kLogFileAnnotation[] = "brix.pingcap.com/log-file";

}  // namespace brix::jobs
