// `brix playground up|down --dir DIR`: see playground/playground.h.
#pragma once

#include <CLI/CLI.hpp>

namespace brix::tools {

void AddPlaygroundCommands(CLI::App& app, int* exit_code);

}  // namespace brix::tools
