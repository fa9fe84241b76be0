// Status: the outcome of an operation that can fail, returned across every module boundary.
//
// A Status is either OK or carries a code and a human-readable message. Messages are written for
// the person running brix: they name the object, field or flag involved and never contain
// credentials (callers redact before building a message; see common/redact.h).
//
// Retryable failures (kUnavailable, kTimeout) are the ones a caller may repeat unchanged and expect
// a different outcome; everything else is final. Thread-compatible: const methods may be called
// concurrently, mutation needs external synchronisation.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace brix {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,            // the object, key or resource does not exist
    kAlreadyExists,       // create-only write found something there
    kInvalidArgument,     // bad user input; the message names the field or flag
    kFailedPrecondition,  // the system is not in a state that allows this (e.g. ETag mismatch)
    kPermissionDenied,    // authentication or authorisation refused
    kCorruption,          // data does not match its checksum or format
    kIOError,             // local I/O failed
    kUnavailable,         // transient: the peer is busy, unreachable or reset the connection
    kTimeout,             // transient: the operation did not finish in time
    kNotSupported,
    kAborted,   // cancelled by the caller or by a concurrent actor
    kInternal,  // a bug: an invariant did not hold
  };

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  static Status NotSupported(std::string msg) { return {Code::kNotSupported, std::move(msg)}; }
  static Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  // True for failures worth repeating unchanged (busy peer, reset connection, timeout).
  bool IsRetryable() const { return code_ == Code::kUnavailable || code_ == Code::kTimeout; }

  // Returns a copy whose message is "<context>: <message>", keeping the code.
  Status WithContext(std::string_view context) const;

  // "OK" or "<code name>: <message>".
  std::string ToString() const;

  // Explicitly drops a status the caller has decided not to act on (best-effort cleanup).
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

}  // namespace brix

// Returns early from the enclosing function if `expr` (a Status) is not OK.
#define BRIX_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::brix::Status brix_status_ = (expr);        \
    if (!brix_status_.ok()) return brix_status_; \
  } while (0)
