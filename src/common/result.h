// Result<T>: a value or the Status explaining why there is none.
//
// Construct from a T (success) or from a non-OK Status (failure). Accessing value() of a failed
// Result is a programming error and aborts. Use BRIX_ASSIGN_OR_RETURN to unwrap in functions
// that themselves return Status or Result.
#pragma once

#include <cstdlib>
#include <optional>
#include <utility>

#include "common/status.h"

namespace brix {

template <typename T>
class [[nodiscard]] Result {
 public:
  // in_place: a T that is itself an empty optional must still count as a value.
  Result(T value)
      : value_(std::in_place, std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok())
      status_ = Status::Internal("Result constructed from an OK status without value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    CheckOk();
    return *value_;
  }
  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  T* operator->() {
    CheckOk();
    return &*value_;
  }
  const T* operator->() const {
    CheckOk();
    return &*value_;
  }
  T& operator*() & {
    CheckOk();
    return *value_;
  }
  const T& operator*() const& {
    CheckOk();
    return *value_;
  }

 private:
  void CheckOk() const {
    if (!value_) std::abort();
  }
  std::optional<T> value_;
  Status status_;
};

}  // namespace brix

#define BRIX_CONCAT_INNER_(a, b) a##b
#define BRIX_CONCAT_(a, b) BRIX_CONCAT_INNER_(a, b)
#define BRIX_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// `BRIX_ASSIGN_OR_RETURN(auto x, Foo());` declares x from Foo()'s value or returns its Status.
#define BRIX_ASSIGN_OR_RETURN(lhs, expr) \
  BRIX_ASSIGN_OR_RETURN_IMPL_(BRIX_CONCAT_(brix_result_, __LINE__), lhs, expr)
