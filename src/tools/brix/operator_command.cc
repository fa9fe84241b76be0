#include "tools/brix/operator_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "net/grpc_tls.h"
#include "operator/api/go_time.h"
#include "operator/client/kubeconfig.h"
#include "operator/controller/leader_election.h"
#include "operator/controller/log_checkpoint.h"
#include "operator/controller/manager.h"
#include "operator/jobs/pod_template.h"
#include "tools/cli_exit.h"

namespace brix::tools {
namespace {

struct OperatorFlags {
  std::string kubeconfig;
  std::vector<std::string> clusters;
  std::string resync = "30s";
  bool leader_elect = true;
  std::string election_namespace;
  std::string election_id = "brix-operator";
  std::string job_image = jobs::kDefaultJobImage;
};

// What ends the operator: a signal (clean) or the lost lease.
struct Stopper {
  std::mutex mu;
  std::condition_variable cv;
  int signal = 0;
  bool lost = false;
  bool Done() { return signal != 0 || lost; }
  // Waits up to `d`; false when the operator must stop.
  bool Wait(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu);
    return !cv.wait_for(lock, d, [this] { return Done(); });
  }
};

int RunOperator(const OperatorFlags& f) {
  if (auto tls = net::ChannelCredentials(); !tls.ok()) return UsageError(tls.status().message());
  auto clusters = controller::ParseClusterFlags(f.clusters);
  if (!clusters.ok()) return UsageError(clusters.status().message());
  auto period = api::ParseGoDuration(f.resync);
  if (!period.ok() || period->count() <= 0) return UsageError("bad --resync " + f.resync);
  auto config = client::ResolveClientConfig(f.kubeconfig, ProcessEnv());
  if (!config.ok()) {
    return config.status().IsInvalidArgument() ? UsageError(config.status().message())
                                               : FailureExit(config.status());
  }
  spdlog::info("brix operator: API server {} ({}), {} clusters", config->http.server,
               config->source, clusters->size());

  // Signals are taken by one thread with sigwait, not by whichever thread happens to run.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto stopper = std::make_shared<Stopper>();
  std::thread([stopper, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::lock_guard<std::mutex> lock(stopper->mu);
    stopper->signal = sig;
    stopper->cv.notify_all();
  }).detach();

  client::HttpApiClient api(config->http);
  std::unique_ptr<controller::LeaderElector> elector;
  if (f.leader_elect) {
    controller::LeaderElectionOptions lo;
    lo.ns = !f.election_namespace.empty()                           ? f.election_namespace
            : !config->ns.empty() && config->source == "in-cluster" ? config->ns
                                                                    : "brix-system";
    lo.name = f.election_id;
    lo.identity = controller::DefaultLeaderIdentity();
    elector = std::make_unique<controller::LeaderElector>(&api, lo);
    if (!elector->Acquire([&](std::chrono::milliseconds d) { return stopper->Wait(d); })) {
      spdlog::info("brix operator: stopped before leading");
      return kExitSuccess;
    }
  }
  controller::ControllerOptions copts;
  copts.clusters = std::move(clusters).value();
  copts.resync = std::chrono::duration_cast<std::chrono::milliseconds>(*period);
  copts.log_progress = controller::KvpdLogProgress;
  copts.job_image = f.job_image;
  controller::ControllerManager controllers(&api, copts);
  if (Status s = controllers.Start(); !s.ok()) return FailureExit(s);
  if (elector) {
    elector->KeepRenewing([stopper] {
      std::lock_guard<std::mutex> lock(stopper->mu);
      stopper->lost = true;
      stopper->cv.notify_all();
    });
  }
  spdlog::info("brix operator: controllers running");
  {
    std::unique_lock<std::mutex> lock(stopper->mu);
    stopper->cv.wait(lock, [&] { return stopper->Done(); });
  }
  controllers.Stop();
  if (stopper->lost) {
    spdlog::error("brix operator: lost the leader lease; exiting so a new candidate starts");
    return kExitFailure;
  }
  spdlog::info("brix operator: stopping on signal {}", stopper->signal);
  if (elector) elector->Release();
  return kExitSuccess;
}

}  // namespace

void AddOperatorCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<OperatorFlags>();
  CLI::App* op = app.add_subcommand(
      "operator",
      "Run the backup controllers against a Kubernetes API server (brixd --external-operator or "
      "a real cluster; docs/kubernetes.md)");
  op->add_option("--kubeconfig", f->kubeconfig,
                 "kubeconfig file (default: $KUBECONFIG, else the in-cluster ServiceAccount)");
  op->add_option("--cluster", f->clusters,
                 "a cluster the controllers may back up or restore: NAMESPACE/NAME=KVPD_ADDRESSES "
                 "(spec.br.cluster NAME in namespace NAMESPACE); repeatable");
  op->add_option("--resync", f->resync, "how often every object is reconciled (Go duration)")
      ->capture_default_str();
  op->add_option("--leader-elect", f->leader_elect,
                 "hold a coordination.k8s.io Lease while running, so one of several replicas "
                 "acts (true or false)")
      ->capture_default_str();
  op->add_option("--leader-election-namespace", f->election_namespace,
                 "namespace of the Lease (default: the pod's namespace in-cluster, else "
                 "brix-system)");
  op->add_option("--leader-election-id", f->election_id, "name of the Lease")
      ->capture_default_str();
  op->add_option("--job-image", f->job_image,
                 "the image of the Jobs' container (a CR's spec.toolImage overrides it)")
      ->capture_default_str();
  op->callback([f, exit_code] { *exit_code = RunOperator(*f); });
}

}  // namespace brix::tools
