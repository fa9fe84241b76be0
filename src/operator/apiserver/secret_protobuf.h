// Decoding of the protobuf bodies kubectl >= 1.32 sends from its typed clients (`kubectl create
// secret|serviceaccount|token|role|clusterrole|rolebinding|clusterrolebinding`, `kubectl auth
// can-i|whoami`; docs/brixd.md, "Resources"). Hand-written and table-driven
// because only these few k8s.io/api messages (field numbers from their generated.proto) are
// needed and the build has no Kubernetes .proto files; every other kind is answered 415.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"

namespace brix::apiserver {

// The "k8s\0" envelope around a runtime.Unknown whose raw bytes are a v1.Secret. Returns the
// Secret as the JSON the API would have received (data values base64-encoded).
// InvalidArgument for a truncated or foreign message, NotSupported for another kind.
[[nodiscard]] Result<nlohmann::json> DecodeSecretProtobuf(std::string_view body);
// Any supported kind (Secret, ServiceAccount, TokenRequest, SelfSubjectReview,
// SelfSubjectAccessReview, Role, ClusterRole, RoleBinding, ClusterRoleBinding) as the JSON the API
// would have received; NotSupported for another kind.
[[nodiscard]] Result<nlohmann::json> DecodeProtobufObject(std::string_view body);

}  // namespace brix::apiserver
