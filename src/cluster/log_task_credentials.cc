#include "cluster/log_task_credentials.h"

#include "common/sealed_box.h"

namespace brix::cluster {
namespace {

std::string Aad(const std::string& task) { return "brix log task credentials\n" + task; }

}  // namespace

Result<std::string> SealLogTaskCredentials(const std::string& key, const std::string& task,
                                           const StorageCredentials& credentials) {
  if (key.empty()) {
    return Status::FailedPrecondition(
        "kvpd has no --credential-key-file, so it cannot keep the storage credentials of log "
        "task '" +
        task +
        "' (they are never stored in clear): start kvpd and every kvnode with "
        "--credential-key-file, or start the task with --send-credentials-to-tikv=false");
  }
  std::string plain;
  if (!credentials.SerializeToString(&plain)) return Status::Internal("serialize credentials");
  return SealSecret(key, plain, Aad(task));
}

Result<std::map<std::string, std::string>> OpenLogTaskCredentials(const std::string& key,
                                                                  const std::string& task,
                                                                  const std::string& sealed) {
  if (key.empty()) {
    return Status::FailedPrecondition(
        "this kvnode has no --credential-key-file, so it cannot open the storage credentials "
        "forwarded for log task '" +
        task + "': restart it with the cluster's --credential-key-file");
  }
  auto plain = OpenSecret(key, sealed, Aad(task));
  if (!plain.ok()) {
    return plain.status().WithContext("storage credentials of log task '" + task +
                                      "' (is this kvnode's --credential-key-file kvpd's?)");
  }
  StorageCredentials c;
  if (!c.ParseFromString(*plain)) {
    return Status::Corruption("storage credentials of log task '" + task + "' do not parse");
  }
  return std::map<std::string, std::string>(c.env().begin(), c.env().end());
}

}  // namespace brix::cluster
