#include "br/restore_target.h"

#include "br/proto/log.pb.h"

namespace brix::br {

Status CheckNoActiveLogBackup(cluster::PdClient& pd) {
  cluster::LogTaskListResponse list;
  BRIX_RETURN_IF_ERROR(pd.Call("LogTaskList", [&](cluster::PD::Stub& s, grpc::ClientContext& c) {
    return s.LogTaskList(&c, cluster::LogTaskListRequest(), &list);
  }));
  for (const auto& name : list.names()) {
    cluster::LogTaskGetRequest req;
    req.set_name(name);
    cluster::LogTaskGetResponse got;
    BRIX_RETURN_IF_ERROR(pd.Call("LogTaskGet", [&](cluster::PD::Stub& s, grpc::ClientContext& c) {
      return s.LogTaskGet(&c, req, &got);
    }));
    LogTask task;
    if (!got.found()) continue;  // deleted meanwhile
    if (!task.ParseFromString(got.definition())) {
      return Status::Corruption("log task '" + name + "' definition does not parse");
    }
    if (task.state() == LogTask::STOPPED) continue;
    return Status::FailedPrecondition(
        "the target cluster has a " +
        std::string(task.state() == LogTask::PAUSED ? "paused" : "running") + " log backup task '" +
        name +
        "': restored data would not be in its log, so a later point-in-time recovery of this "
        "cluster would miss them; stop it first (brix log stop --task-name " +
        name + ") and start a new one after the restore");
  }
  return Status::OK();
}

}  // namespace brix::br
