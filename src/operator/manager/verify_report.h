// How a deep validation (br/deep_validate.h) is shown: the JSON `brix validate --deep --output
// json` prints and a Backup with spec.verify: deep keeps in status.verification
// (docs/validate.md), and the text `brix validate --deep` prints. One owner of both shapes.
//
//   {result: Passed|Failed, snapshot, log, snapshotTs, checkedFiles, bytes, kvs, seconds,
//    bytesPerSecond, restorableWindow: {fromTs, untilTs} (log chains only), unnamedLogFiles,
//    problems[] {file, problem} (the first kVerifyProblemsShown, sorted by file),
//    problemsTotal, finishedAt (RFC 3339)}
// Timestamps are TSO numbers as strings, as status.commitTs.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "br/deep_validate.h"

namespace brix::manager {

inline constexpr size_t kVerifyProblemsShown = 100;
inline constexpr char kVerifyPassed[] = "Passed";
inline constexpr char kVerifyFailed[] = "Failed";

nlohmann::json VerificationJson(const br::DeepValidateReport& report,
                                const std::string& finished_at);

// One "BAD <file>: <problem>" line per problem, then the summary line
// ("OK: N files, B bytes (R MiB/s), K kvs checked; restorable window [a, b]").
std::string VerificationText(const br::DeepValidateReport& report);

}  // namespace brix::manager
