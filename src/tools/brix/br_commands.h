// `brix backup full|db|table`, `brix restore full|db|table`, `brix validate`, `brix debug meta`:
// the snapshot backup and restore commands (docs/backup.md), with BR's flags.
#pragma once

#include <CLI/CLI.hpp>

namespace brix::tools {

// Adds the commands to `app`; the selected one's exit code goes to *exit_code.
void AddSnapshotCommands(CLI::App& app, int* exit_code);

}  // namespace brix::tools
