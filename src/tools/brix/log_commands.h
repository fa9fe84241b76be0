// `brix log start|status|pause|resume|stop|truncate|metadata` and `brix restore point`: log
// backup and point-in-time recovery (docs/backup.md). Every command takes `--output json`.
#pragma once

#include <CLI/CLI.hpp>

namespace brix::tools {

// Adds `log ...` to `app` and `point` to its existing `restore` command.
void AddLogCommands(CLI::App& app, int* exit_code);

}  // namespace brix::tools
