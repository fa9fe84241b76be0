#include "tools/brix/playground_command.h"

#include <iostream>
#include <memory>

#include "playground/playground.h"
#include "playground/ui_url.h"
#include "tools/cli_exit.h"

namespace brix::tools {

namespace {

void PrintUiUrl(const std::string& dir, int* exit_code) {
  auto url = playground::UiLoginUrl(dir);
  if (!url.ok()) {
    std::cerr << "web page: " << url.status().ToString() << "\n";
    *exit_code = ExitCode(url.status());
    return;
  }
  std::cout << "recoverable-window page (this link works once, for 10 minutes; `brix playground ui "
               "--dir "
            << dir << "` prints another):\n  " << *url << "\n";
}

}  // namespace

void AddPlaygroundCommands(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<playground::Options>();
  CLI::App* pg = app.add_subcommand("playground",
                                    "A local cluster (etcd, kvpd, kvnodes, Azurite) in one folder");
  pg->require_subcommand(1);

  CLI::App* up =
      pg->add_subcommand("up", "Start it (or restart what died); writes DIR/playground.env");
  up->add_option("--dir", options->dir, "folder for data, logs and playground.env")->required();
  up->add_option("--nodes", options->nodes, "number of kvnodes")->check(CLI::Range(1, 32));
  up->add_option("--pds", options->pds, "number of kvpd (one leads, the others stand by)")
      ->check(CLI::Range(1, 5));
  up->add_flag("--azurite", options->azurite, "also start Azurite (Azure Blob emulator)");
  up->add_option("--tls-dir", options->tls_dir,
                 "folder of the cluster's CA and certificate (ca.crt, tls.crt, tls.key; made if "
                 "missing; default DIR/tls); playgrounds sharing it trust each other");
  up->add_option("--clusters", options->clusters,
                 "2 adds a second, empty cluster (demo2) as a restore target")
      ->check(CLI::Range(1, 2));
  up->add_option("--log-flush-interval-ms", options->log_flush_interval_ms,
                 "how often kvnodes upload log-backup data (default: theirs, 10000)")
      ->check(CLI::Range(100, 600000));
  up->add_option("--test-log-buffer-fault-file", options->test_log_buffer_fault_file,
                 "tests only: while this file exists, log-buffer writes fail like a full disk")
      ->group("");  // hidden from --help
  up->add_flag("--brixd", options->brixd,
               "also start brixd (Kubernetes-compatible API server; KUBECONFIG in playground.env)");
  up->add_flag("--external-operator", options->external_operator,
               "with --brixd: run the controllers as their own process (`brix operator` over "
               "HTTPS with a ServiceAccount token), brixd as API server and job runner only");
  up->callback([=] {
    if (options->external_operator && !options->brixd) {
      *exit_code = UsageError("--external-operator needs --brixd");
      return;
    }
    Status s = playground::Up(*options);
    if (!s.ok()) {
      *exit_code = ExitCode(s);
      return;
    }
    std::cout << "playground is up; environment in " << options->dir << "/playground.env\n";
    if (options->brixd) PrintUiUrl(options->dir, exit_code);
  });

  CLI::App* ui = pg->add_subcommand(
      "ui", "Print a fresh login link to brixd's web page (works once, for 10 minutes)");
  ui->add_option("--dir", options->dir, "the playground's folder")->required();
  ui->callback([=] { PrintUiUrl(options->dir, exit_code); });

  CLI::App* down = pg->add_subcommand("down", "Stop everything `up` started in DIR");
  down->add_option("--dir", options->dir, "the playground's folder")->required();
  down->callback([=] {
    Status s = playground::Down(options->dir);
    *exit_code = ExitCode(s);
  });
}

}  // namespace brix::tools
