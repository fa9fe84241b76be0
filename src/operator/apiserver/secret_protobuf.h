// Decoding of the protobuf body kubectl >= 1.32 sends for `kubectl create secret`
// (reference/kube-api.md pitfall 2 and §4.11). Only v1 Secret is understood; every other kind
// is answered 415 by the server.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"

namespace brix::apiserver {

// The "k8s\0" envelope around a runtime.Unknown whose raw bytes are a v1.Secret. Returns the
// Secret as the JSON the API would have received (data values base64-encoded).
// InvalidArgument for a truncated or foreign message, NotSupported for another kind.
[[nodiscard]] Result<nlohmann::json> DecodeSecretProtobuf(std::string_view body);

}  // namespace brix::apiserver
