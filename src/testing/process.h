// Tests use the same child-process helpers as the playground (common/process.h).
#pragma once

#include "common/process.h"

namespace brix::testing {
using brix::ChildProcess;
using brix::CommandResult;
using brix::RunCommand;
}  // namespace brix::testing
