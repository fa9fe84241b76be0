// The reserved marker of the Jobs brix's controllers create: annotation kJobKindAnnotation on a
// batch/v1 Job names the kind of job (which `brix manager` entry point it runs). Only the
// controllers write it: brixd's API server refuses (403) any create, update or patch through the
// API that sets, changes or removes it unless the caller is the controller identity
// (apiserver/authn.h), and a Job's spec.template cannot change after creation (422), so a marked
// Job can never be turned into something else. The job runner executes only marked Jobs.
#pragma once

namespace brix::api {

inline constexpr char kJobKindAnnotation[] = "brix.pingcap.com/job-kind";

}  // namespace brix::api
