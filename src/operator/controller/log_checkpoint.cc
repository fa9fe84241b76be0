#include "operator/controller/log_checkpoint.h"

#include <map>
#include <memory>
#include <mutex>

#include "cluster/client/pd_client.h"

namespace brix::controller {

Result<uint64_t> KvpdLogCheckpoint(const std::string& pd, const std::string& task) {
  // One client per cluster, kept: connections are reused across the periodic reads.
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<cluster::PdClient>> clients;
  cluster::PdClient* client = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = clients[pd];
    if (!slot) {
      BRIX_ASSIGN_OR_RETURN(slot, cluster::PdClient::Connect(pd, std::chrono::seconds(5)));
    }
    client = slot.get();
  }
  cluster::LogTaskGetResponse resp;
  BRIX_RETURN_IF_ERROR(
      client->Call("LogTaskGet", [&](cluster::PD::Stub& s, grpc::ClientContext& c) {
        cluster::LogTaskGetRequest req;
        req.set_name(task);
        return s.LogTaskGet(&c, req, &resp);
      }));
  if (!resp.found()) return Status::NotFound("no log task " + task + " in kvpd at " + pd);
  return resp.global_checkpoint();
}

}  // namespace brix::controller
