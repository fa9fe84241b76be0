// The exit-code policy of every brix binary (brix, brix manager, kvpd, kvnode, kvctl, brixd):
//
//   0  success, and --help / --version
//   2  usage error: the command line is wrong — any CLI11 parse or validation error (unknown
//      flag, missing required option, value out of its set or range), or a bad flag value or
//      combination found before any work starts (a Status of InvalidArgument)
//   1  failure: the work was attempted and failed (any other Status)
//
// The message is printed once, on stderr: CLI11's own text for parse errors, "error: <status>"
// for the others. Header-only because it is CLI glue shared by the binaries in src/tools/, which
// all link CLI11 already and have no common library of their own.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "common/status.h"

namespace brix::tools {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The exit code of a finished command (see the file comment); prints an error once.
inline int ExitCode(const Status& s) {
  if (s.ok()) return kExitSuccess;
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return s.IsInvalidArgument() ? kExitUsage : kExitFailure;
}

// A failure whatever the code (the work ran; e.g. `brix manager`, whose CR content is data, not
// command line): prints it and returns kExitFailure.
inline int FailureExit(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return kExitFailure;
}

// A usage error found after parsing: prints it and returns kExitUsage.
inline int UsageError(const std::string& message) {
  return ExitCode(Status::InvalidArgument(message));
}

// Parses the command line, running the selected (sub)command's callbacks. nullopt when parsing
// succeeded; otherwise the exit code to return from main: 0 for --help/--version, kExitUsage for
// every parse error (CLI11 prints its message).
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == static_cast<int>(CLI::ExitCodes::Success) ? kExitSuccess : kExitUsage;
  }
  return std::nullopt;
}

}  // namespace brix::tools
