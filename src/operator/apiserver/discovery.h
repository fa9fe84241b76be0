// Discovery and OpenAPI documents generated from the resource table (plus the POST-only
// TokenRequest, SelfSubjectAccessReview and SelfSubjectReview endpoints of access.h)
// (the Kubernetes API's discovery endpoints; docs/brixd.md): legacy discovery (/api, /apis,
// /api/v1, /apis/<g>/<v>), /version, and the OpenAPI v3 stub that makes `kubectl apply` use
// server-side validation.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "operator/api/resources.h"

namespace brix::apiserver {

using Json = nlohmann::json;

// apiextensions.k8s.io/v1 customresourcedefinitions (cluster-scoped), served by server_crds.cc
// from the built-in CRDs; listed in discovery and in the OpenAPI documents like a stored kind.
const api::ResourceInfo& CrdResource();

// /version. Minor 32: the gcloud kubectl dispatcher picks its kubectl by this answer, and
// versions <= 1.28 would need OpenAPI v2.
Json VersionDocument();
// /api: APIVersions.
Json CoreVersionsDocument(const std::string& server_address);
// /apis: APIGroupList of every non-core group.
Json GroupListDocument();
// /api/v1 or /apis/<group>/<version>: APIResourceList; nullopt for an unknown group/version.
std::optional<Json> ResourceListDocument(const std::string& group, const std::string& version);
// /openapi/v3: the root listing every group/version (kubectl refuses to apply a kind whose
// group/version is missing here).
Json OpenApiRootDocument();
// /openapi/v3/api/v1 or /openapi/v3/apis/<g>/<v>: a PATCH operation per kind carrying
// x-kubernetes-group-version-kind and the fieldValidation parameter.
std::optional<Json> OpenApiGroupVersionDocument(const std::string& group,
                                                const std::string& version);

}  // namespace brix::apiserver
