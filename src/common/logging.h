// Logging through spdlog. Every binary calls InitLogging once; libraries log with spdlog's
// default logger (spdlog::info(...)). Log lines must never contain credentials: log storage
// locations with RedactUrl (common/redact.h), never raw request URLs or headers.
#pragma once

#include <string_view>

#include "common/status.h"

namespace brix {

// level: trace, debug, info, warn, error, off. Logs go to stderr.
[[nodiscard]] Status InitLogging(std::string_view level);

}  // namespace brix
