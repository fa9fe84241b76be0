// brix: the backup and restore tool (docs/architecture.md#processes): snapshot backup and
// restore, log backup and PITR, storage, the playground, `brix manager` (what brixd's jobs
// run) and `brix operator` (the controllers as their own process); `brix crds` (hidden) prints
// deploy/00-crds.yaml (operator/api/crd.h); `brix encryption rotate` and the --crypter.* flags
// (tools/brix/encryption_command.h).
#include <CLI/CLI.hpp>

#include "common/logging.h"
#include "net/tls_flags.h"
#include "operator/api/crd.h"
#include "operator/api/job_kind.h"
#include "tools/brix/br_commands.h"
#include "tools/brix/encryption_command.h"
#include "tools/brix/log_commands.h"
#include "tools/brix/manager_command.h"
#include "tools/brix/operator_command.h"
#include "tools/brix/playground_command.h"
#include "tools/brix/storage_command.h"
#include "tools/cli_exit.h"

int main(int argc, char** argv) {
  CLI::App app{"brix: backup, restore and point-in-time recovery to Azure Blob Storage"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->envname(brix::api::kJobLogLevelEnv)  // how a CR's spec.br.logLevel reaches its job
      ->capture_default_str();
  brix::net::TlsConfig tls;  // cluster TLS: flags over BRIX_TLS_* (net/grpc_tls.h)
  brix::net::AddTlsFlags(app, &tls);
  int exit_code = brix::tools::kExitSuccess;
  const brix::br::Engine engine;
  brix::tools::AddStorageCommands(app, &exit_code);
  brix::tools::AddSnapshotCommands(app, engine, &exit_code);
  brix::tools::AddLogCommands(app, engine, &exit_code);
  brix::tools::AddPlaygroundCommands(app, &exit_code);
  brix::tools::AddManagerCommands(app, &exit_code);
  brix::tools::AddEncryptionCommands(app, &exit_code);
  // BR's --crypter.* flags on every command that reads or writes a location.
  for (const char* name : {"backup", "restore", "validate", "debug", "log", "storage"}) {
    brix::tools::AddCrypterFlags(app.get_subcommand(name));
  }
  // Hidden (empty group): prints deploy/00-crds.yaml, generated from the schema tables.
  app.add_subcommand("crds", "print the CustomResourceDefinitions of deploy/00-crds.yaml")
      ->group("")
      ->callback([] { std::fputs(brix::api::CrdsYaml().c_str(), stdout); });
  brix::tools::AddOperatorCommand(app, &exit_code);
  app.parse_complete_callback([&] {
    brix::Status s = brix::InitLogging(log_level);
    if (!s.ok()) throw CLI::ValidationError(s.message());
    brix::net::SetClientTls(tls);
  });
  if (auto usage = brix::tools::ParseCommandLine(app, argc, argv)) return *usage;
  return exit_code;
}
