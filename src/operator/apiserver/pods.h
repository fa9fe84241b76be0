// Pods of brixd's Jobs, so that `kubectl get pods` and `kubectl logs job/<name> [-f]` work as on
// Kubernetes (docs/brixd.md, "Pods and logs"). brixd has no kubelet: its job runner runs each
// attempt of a Job as a local process (jobs/job_runner.h). Pods are therefore not stored: they
// are derived, read-only, from the Jobs and their log files.
//
// - One Pod per attempt (status.failed + status.succeeded + status.active attempts; a Job not yet
//   started and not finished has one Pending Pod). Failed attempts come first, then the last
//   one: Running while active, Succeeded when the Job succeeded. Names are
//   "<job>-<5 characters>" from the Job's uid and the attempt number (stable across reads).
// - Labels are the Job template's plus, as Kubernetes sets them, batch.kubernetes.io/job-name,
//   job-name, batch.kubernetes.io/controller-uid and controller-uid; the Pod is owned by its Job.
//   DefaultJobSelector gives every created Job the selector on controller-uid that kubectl
//   follows from `logs job/<name>` to the Job's Pods.
// - Log: attempt n's part of the Job's log file, the text between the runner's header line for
//   attempt n (api::AttemptHeader, not shown) and the next header. `follow` streams the file
//   while the attempt runs (polling the file; no heartbeat, so an abandoned follow holds its
//   server thread until the attempt ends or brixd stops). tailLines and limitBytes apply;
//   `previous` is refused (restartPolicy Never: a pod has no previous container).
// Only get and list (and pods/log get) are served; create, update, delete and watch are 405.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "operator/api/resources.h"

namespace brix::apiserver {

using Json = nlohmann::json;

// core/v1 pods: printed as `kubectl get pods` prints them (READY, STATUS, RESTARTS, AGE).
const api::ResourceInfo& PodResource();

// Kubernetes' Job defaults on create: spec.selector.matchLabels
// {batch.kubernetes.io/controller-uid: <uid>} and the four job labels on the pod template
// (a Job that brings its own selector keeps it). `job` has its uid.
void DefaultJobSelector(Json* job);

// One attempt's part of a job log file: bytes [begin, end) after its header line.
struct AttemptLog {
  int attempt = 0;
  std::string started;  // the header's time
  uint64_t begin = 0, end = 0;
};
// The attempts of a log file's text, in file order.
std::vector<AttemptLog> SplitAttempts(const std::string& text);

// The Pods of `job`; `attempts` (from SplitAttempts, may be empty) give each its start time.
std::vector<Json> PodsOfJob(const Json& job, const std::vector<AttemptLog>& attempts);

// The attempt a Pod of PodsOfJob stands for (its annotation), 0 when none.
int AttemptOfPod(const Json& pod);

}  // namespace brix::apiserver
