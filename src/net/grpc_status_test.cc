#include "net/grpc_status.h"

#include <gtest/gtest.h>

namespace brix::net {
namespace {

// A restore once failed with "restore refused: store 2: " — a gRPC status without a message.
TEST(FromGrpc, AStatusWithoutAMessageIsNamedByItsCode) {
  Status s = FromGrpc(grpc::Status(grpc::StatusCode::CANCELLED, ""), "store 2");
  EXPECT_EQ(s.message(), "store 2: gRPC CANCELLED (no message)");
  EXPECT_EQ(
      FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "Socket closed"), "store 2").message(),
      "store 2: Socket closed");
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::DATA_LOSS, ""), "x").code(),
            Status::Code::kCorruption);
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_STREQ(GrpcCodeName(static_cast<grpc::StatusCode>(99)), "an unknown gRPC code");
}

}  // namespace
}  // namespace brix::net
