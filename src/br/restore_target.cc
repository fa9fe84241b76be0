#include "br/restore_target.h"

#include "br/proto/log.pb.h"
#include "cluster/client/log_task_client.h"

namespace brix::br {

Status CheckNoActiveLogBackup(cluster::PdClient& pd) {
  cluster::LogTaskClient tasks(pd);
  BRIX_ASSIGN_OR_RETURN(std::vector<std::string> names, tasks.List());
  for (const auto& name : names) {
    BRIX_ASSIGN_OR_RETURN(cluster::LogTaskGetResponse got, tasks.Get(name));
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
