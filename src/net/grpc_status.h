// Converting between brix's Status and gRPC's status at RPC boundaries (kvpd, kvnode, etcd).
// Header-only so that only code that already uses gRPC pulls gRPC in.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "common/status.h"

namespace brix::net {

// gRPC's name of `code` ("UNAVAILABLE"), for messages.
inline const char* GrpcCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  auto i = static_cast<size_t>(code);
  return i < std::size(kNames) ? kNames[i] : "an unknown gRPC code";
}

// A gRPC status as a Status whose message starts with `what`; a status without a message is
// named by its code, so the reason never reads as nothing. Codes that mean "try again"
// (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ...) become retryable. ABORTED (a
// concurrent change won a compare-and-swap) becomes Aborted: read again, then decide again.
inline Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  std::string msg = what + ": " +
                    (s.error_message().empty()
                         ? std::string("gRPC ") + GrpcCodeName(s.error_code()) + " (no message)"
                         : s.error_message());
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Status::InvalidArgument(msg);
    case grpc::StatusCode::NOT_FOUND:
      return Status::NotFound(msg);
    case grpc::StatusCode::ALREADY_EXISTS:
      return Status::AlreadyExists(msg);
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Status::FailedPrecondition(msg);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Status::PermissionDenied(msg);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Timeout(msg);
    case grpc::StatusCode::DATA_LOSS:
      return Status::Corruption(msg);
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::NotSupported(msg);
    case grpc::StatusCode::ABORTED:
      return Status::Aborted(msg);
    default:
      return Status::Unavailable(msg);
  }
}

// A Status as the gRPC status a server returns; retryable failures become UNAVAILABLE or
// DEADLINE_EXCEEDED so clients retry them.
inline grpc::Status ToGrpc(const Status& s) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (s.code()) {
    case Status::Code::kOk:
      return grpc::Status::OK;
    case Status::Code::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case Status::Code::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case Status::Code::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case Status::Code::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case Status::Code::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case Status::Code::kCorruption:
      code = grpc::StatusCode::DATA_LOSS;
      break;
    case Status::Code::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case Status::Code::kTimeout:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case Status::Code::kNotSupported:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    default:
      code = grpc::StatusCode::INTERNAL;
      break;
  }
  return grpc::Status(code, s.message());
}

}  // namespace brix::net
