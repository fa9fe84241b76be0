// `brix manager backup|restore|compact|clean --namespace NS --name N`: the entry point of the
// Jobs brixd's controllers create (operator/manager/manager.h).
#pragma once

#include <CLI/CLI.hpp>

namespace brix::tools {

void AddManagerCommands(CLI::App& app, int* exit_code);

}  // namespace brix::tools
