// JobRunner: brixd's stand-in for the Kubernetes Job controller and kubelet
// (docs/architecture.md#control-plane). It runs the batch/v1 Jobs brixd's controllers create, each
// as a local process, and nothing else:
//
// - Which Jobs run: only those CheckBrixJob (job_spec.h) accepts: the annotation
//   brix.pingcap.com/job-kind names a known kind and the one container runs the matching
//   `brix manager` entry point ("brix" means the brix binary next to brixd). Any other Job is
//   stored, never executed, and gets a Failed condition with reason NotABrixJob.
// - As whom: the Job's spec.template.spec.serviceAccountName. At each launch the runner asks the
//   API for a token of that ServiceAccount (TokenRequest, valid for `token_ttl`) with its own
//   client; a missing account or a refused request fails the attempt with that message.
// - With what: an environment built from nothing (BuildJobEnv): PATH, HOME/TMPDIR (a private
//   per-job folder, removed when the process ends), the API address and CA, the job's token,
//   the fixed `job_env`, and the container's env (literal values, and secretKeyRef values read
//   from the Secret at launch, so credentials never appear in a command line, a log or the Job
//   object). Never brixd's environment, never brixd's admin token.
// - Pod fields: the CR's env and serviceAccount are honoured (pod_template.h); the fields only a
//   Kubernetes node applies (resources, tolerations, affinity, toolImage, ...) are not, and the
//   first attempt records an Event (reason KubernetesOnlyFields) on the Job's owner naming them.
//
// Job status follows Kubernetes: active/startTime while running, succeeded + Complete, or
// failed + Failed once spec.backoffLimit retries are used up (each failure starts a new
// attempt until then). Output of every attempt is appended to
// <state>/jobs/<namespace>/<job>.log (annotation brix.pingcap.com/log-file), created 0600 in
// folders of 0700; namespace and name are checked as DNS label / subdomain before they become
// path parts.
//
// Garbage collection: a Job whose controller owner (ownerReferences) is gone is stopped and
// deleted, as Kubernetes' garbage collector does. A Job deleted while it runs is stopped.
//
// Crash safety: processes die with brixd (PR_SET_PDEATHSIG). Pids live in this object only;
// nothing read from the API is ever signalled. After a restart, a Job that was active has lost
// its process; that counts as a failed attempt ("process lost"), so a job never runs twice at
// once and never stays active forever.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "operator/client/api_client.h"
#include "operator/jobs/job_spec.h"

namespace brix::jobs {

struct JobRunnerOptions {
  std::string state_dir;    // logs go to <state_dir>/jobs
  std::string brix_binary;  // what command "brix" runs (an absolute path)
  // How every job reaches the API: BRIX_API_SERVER and BRIX_API_CA_FILE ("" = none).
  std::string api_server;
  std::string api_ca_file;
  // Given to every job as is (e.g. the cluster's TLS client files: BRIX_TLS_CA_FILE,
  // BRIX_TLS_CERT_FILE, BRIX_TLS_KEY_FILE). A container may not override these.
  std::map<std::string, std::string> job_env;
  // Who asks for ServiceAccount tokens (TokenRequest); null = the client given to the runner.
  client::ApiClient* token_client = nullptr;
  std::chrono::seconds token_ttl{24 * 3600};
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
  Status Launch(const client::Json& job, const BrixJob& spec, int attempt);
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
