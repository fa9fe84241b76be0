// The patch formats kubectl sends (docs/brixd.md): JSON merge patch
// (RFC 7386) for the custom resources, and the subset of Kubernetes strategic merge patch that
// kubectl produces for built-in kinds (Secret, Job, ...).
#pragma once

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace brix::apiserver {

using Json = nlohmann::json;

// RFC 7386: objects merge key by key, null deletes a key, anything else replaces.
Json MergePatch(const Json& target, const Json& patch);

// Strategic merge patch as far as kubectl uses it: maps merge like a merge patch; lists of
// containers, initContainers, env, volumes, volumeMounts, ports, imagePullSecrets and
// ServiceAccount secrets merge by their key (name, mountPath, containerPort), other lists are
// replaced; the directives `$patch: replace|delete|merge`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>` and `$retainKeys` are honoured. InvalidArgument for a
// malformed directive.
[[nodiscard]] Result<Json> StrategicMergePatch(const Json& target, const Json& patch);

}  // namespace brix::apiserver
