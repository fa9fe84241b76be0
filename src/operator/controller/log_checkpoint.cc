#include "operator/controller/log_checkpoint.h"

#include <map>
#include <memory>
#include <mutex>

#include "cluster/client/pd_client.h"

namespace brix::controller {

Result<br::LogTaskStatus> KvpdLogProgress(const std::string& pd, const std::string& task) {
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
  return br::GetLogTaskStatus(*client, task);
}

}  // namespace brix::controller
