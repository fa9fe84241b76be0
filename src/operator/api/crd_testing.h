// Test-only: a structural check of a value against a CRD's openAPIV3Schema, the part a
// Kubernetes API server enforces on a custom resource without webhooks (types, enums, required,
// unknown fields under fieldValidation=Strict, items, additionalProperties). Used to show that
// brixd's Schema and the generated CRD (crd.h) accept and refuse the same objects.
#pragma once

#include <string>
#include <vector>

#include "operator/api/schema.h"

namespace brix::api::testing {

inline void OpenApiCheck(const Json& s, const Json& v, const std::string& path,
                         std::vector<std::string>* errors) {
  if (v.is_null()) return;  // nulls are pruned before validation
  if (s.value("x-kubernetes-int-or-string", false)) {
    if (!v.is_number_integer() && !v.is_string()) errors->push_back(path + ": int or string");
    return;
  }
  const std::string type = s.value("type", "");
  if (type.empty()) return;  // x-kubernetes-preserve-unknown-fields without a type: anything
  bool ok = (type == "object" && v.is_object()) || (type == "array" && v.is_array()) ||
            (type == "string" && v.is_string()) || (type == "integer" && v.is_number_integer()) ||
            (type == "number" && v.is_number()) || (type == "boolean" && v.is_boolean());
  if (!ok) {
    errors->push_back(path + ": must be " + type);
    return;
  }
  if (type == "string" && s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found = found || e == v;
    if (!found) errors->push_back(path + ": not in enum");
  }
  if (type == "array" && s.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      OpenApiCheck(s["items"], v[i], path + "[" + std::to_string(i) + "]", errors);
    }
  }
  if (type == "object") {
    for (const auto& r : s.value("required", Json::array())) {
      if (!v.contains(r.get<std::string>()) || v[r.get<std::string>()].is_null()) {
        errors->push_back(path + "." + r.get<std::string>() + ": required");
      }
    }
    const Json props = s.value("properties", Json::object());
    for (const auto& [k, item] : v.items()) {
      std::string child = path.empty() ? k : path + "." + k;
      if (props.contains(k)) {
        OpenApiCheck(props[k], item, child, errors);
      } else if (s.contains("additionalProperties")) {
        OpenApiCheck(s["additionalProperties"], item, child, errors);
      } else if (!s.value("x-kubernetes-preserve-unknown-fields", false) && path != "metadata") {
        errors->push_back(child + ": unknown field");
      }
    }
  }
}

inline std::vector<std::string> OpenApiErrors(const Json& schema, const Json& value) {
  std::vector<std::string> errors;
  OpenApiCheck(schema, value, "", &errors);
  return errors;
}

}  // namespace brix::api::testing
