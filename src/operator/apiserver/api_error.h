// ApiError: a failed API request as Kubernetes reports it (a meta/v1 Status with an HTTP code,
// a reason kubectl prints, and for invalid objects the causes naming each bad field).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"
#include "operator/api/resources.h"
#include "operator/api/schema.h"

namespace brix::apiserver {

using Json = nlohmann::json;

struct ApiError {
  int code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...
  std::string message;
  Json details;  // null or {name, group, kind, causes}

  Json ToStatus() const;

  static ApiError NotFound(const api::ResourceInfo& info, const std::string& name);
  static ApiError AlreadyExists(const api::ResourceInfo& info, const std::string& name);
  static ApiError Conflict(const api::ResourceInfo& info, const std::string& name);
  static ApiError Invalid(const api::ResourceInfo& info, const std::string& name,
                          const std::vector<api::FieldError>& errors);
  static ApiError BadRequest(std::string message);
  static ApiError UnsupportedMediaType(std::string message);
  static ApiError MethodNotAllowed(std::string message);
  // Storage failures (etcd unreachable, ...): 503 when retryable, else 500.
  static ApiError FromStatus(const Status& status);
};

// A value or the ApiError explaining why there is none.
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace brix::apiserver

#define BRIX_API_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.error();                    \
  lhs = std::move(tmp.value())
// Like BRIX_ASSIGN_OR_RETURN for ApiResult.
#define BRIX_API_ASSIGN_OR_RETURN(lhs, expr) \
  BRIX_API_ASSIGN_OR_RETURN_IMPL_(BRIX_CONCAT_(brix_api_result_, __LINE__), lhs, expr)
