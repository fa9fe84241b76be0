#include "tools/brix/manager_command.h"

#include <iostream>
#include <memory>

#include "operator/client/kubeconfig.h"
#include "operator/manager/manager.h"
#include "tools/cli_exit.h"

namespace brix::tools {

void AddManagerCommands(CLI::App& app, int* exit_code) {
  CLI::App* mgr = app.add_subcommand(
      "manager",
      "Run one operation of a backup CR and record it in the CR's status (what brixd's jobs "
      "run; needs BRIX_API_SERVER and BRIX_API_TOKEN, or in a pod the in-cluster ServiceAccount, "
      "and BRIX_CLUSTER_PD and the storage secret's keys in the environment)");
  mgr->require_subcommand(1);
  for (const char* kind : {"backup", "restore", "compact", "clean"}) {
    auto req = std::make_shared<manager::ManagerRequest>();
    req->kind = kind;
    CLI::App* sub = mgr->add_subcommand(kind, std::string("Run the ") + kind + " of a CR");
    sub->add_option("--namespace", req->ns, "the CR's namespace")->required();
    sub->add_option("--name", req->name, "the CR's name")->required();
    if (req->kind == "backup") {
      sub->add_option("--subcommand", req->subcommand,
                      "log Backups: log-start, log-pause, log-resume, log-stop or log-truncate")
          ->check(
              CLI::IsMember({"log-start", "log-pause", "log-resume", "log-stop", "log-truncate"}));
      sub->add_option("--truncate-until", req->truncate_until, "log-truncate: the ts to keep");
    }
    sub->callback([req, exit_code] {
      EnvLookup env = ProcessEnv();
      // brixd's runner gives BRIX_API_*; a Job on Kubernetes has its ServiceAccount's mount.
      auto options = env("BRIX_API_SERVER") ? client::HttpClientOptionsFromEnv(env)
                                            : client::InClusterHttpOptions(env);
      if (!options.ok()) {
        *exit_code = ExitCode(options.status());  // nothing configured: InvalidArgument, usage
        return;
      }
      client::HttpApiClient api(*options);
      const br::Engine engine;
      Status s = manager::RunManager(api, engine, *req, env);
      if (!s.ok()) {
        *exit_code = FailureExit(s.WithContext(req->kind + " " + req->ns + "/" + req->name));
        return;
      }
      std::cout << req->kind << " " << req->ns << "/" << req->name << ": done\n";
    });
  }
}

}  // namespace brix::tools
