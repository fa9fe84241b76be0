// `brix backup full|db|table`, `brix restore full|db|table`, `brix validate`, `brix debug meta`:
// the snapshot backup and restore commands (docs/backup.md), with BR's flags.
#pragma once

#include <CLI/CLI.hpp>

#include "br/engine.h"

namespace brix::tools {

// Adds the commands to `app`, run by `engine` (which must outlive the parse); the selected one's
// exit code (tools/cli_exit.h) goes to *exit_code.
void AddSnapshotCommands(CLI::App& app, const br::Engine& engine, int* exit_code);

}  // namespace brix::tools
