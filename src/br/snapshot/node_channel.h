// gRPC channels from BR coordinators to kvnodes (file descriptions can make large messages).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace brix::br {

std::shared_ptr<grpc::Channel> NodeChannel(const std::string& address);

}  // namespace brix::br
