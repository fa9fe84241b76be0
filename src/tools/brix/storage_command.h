// `brix storage ls|put|get|rm|stat --storage URL ...`: look into and manage a backup location
// by hand. Credentials come from the URL or the environment (see storage/azure/azure_config.h)
// and are never printed.
#pragma once

#include <CLI/CLI.hpp>

namespace brix::tools {

// Adds the `storage` subcommand tree to `app`. The selected command's exit code is written to
// *exit_code when it runs.
void AddStorageCommands(CLI::App& app, int* exit_code);

}  // namespace brix::tools
