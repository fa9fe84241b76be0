// Server-side printing for `kubectl get` (the Kubernetes Table format; docs/brixd.md): kubectl
// prints exactly the cells the server sends, so ages and computed columns are formatted here.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "operator/api/resources.h"

namespace brix::apiserver {

using Json = nlohmann::json;

// kubectl's duration.HumanDuration: "45s", "5m3s", "3h", "2d4h", "1y30d".
std::string HumanDuration(std::chrono::nanoseconds d);

// A meta.k8s.io/v1 Table of `objects` with NAME first and the resource's printer columns.
// Without `with_columns`, columnDefinitions is null (later events of a watch).
Json ToTable(const api::ResourceInfo& info, const std::vector<Json>& objects,
             std::chrono::system_clock::time_point now, const std::string& resource_version,
             bool with_columns = true);

}  // namespace brix::apiserver
