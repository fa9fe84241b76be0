// `brix log start|status|pause|resume|stop|truncate|metadata` and `brix restore point`: log
// backup and point-in-time recovery (docs/backup.md). Every command takes `--output json`.
#pragma once

#include <CLI/CLI.hpp>

#include "br/engine.h"

namespace brix::tools {

// Adds `log ...` to `app` and `point` to its existing `restore` command, run by `engine` (which
// must outlive the parse); the selected one's exit code (tools/cli_exit.h) goes to *exit_code.
void AddLogCommands(CLI::App& app, const br::Engine& engine, int* exit_code);

}  // namespace brix::tools
