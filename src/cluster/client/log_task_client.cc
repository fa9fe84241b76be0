#include "cluster/client/log_task_client.h"

#include <grpcpp/grpcpp.h>

namespace brix::cluster {
namespace {

void SetCredentials(const LogTaskCredentials& env, LogTaskPutRequest* req) {
  req->mutable_credentials()->mutable_env()->insert(env.begin(), env.end());
}

}  // namespace

Status LogTaskClient::Put(const LogTaskPutRequest& req) {
  LogTaskPutResponse resp;
  return pd_.Call("LogTaskPut", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.LogTaskPut(&c, req, &resp);
  });
}

Status LogTaskClient::Create(const std::string& name, const std::string& definition,
                             const LogTaskCredentials& credentials) {
  LogTaskPutRequest req;
  req.set_name(name);
  req.set_definition(definition);
  req.set_create_only(true);
  if (!credentials.empty()) SetCredentials(credentials, &req);
  return Put(req);
}

Status LogTaskClient::Update(const LogTaskUpdate& u) {
  LogTaskPutRequest req;
  req.set_name(u.name);
  req.set_definition(u.definition);
  req.set_expected_revision(u.expected_revision);
  req.set_stopped(u.stopped);
  req.set_service_safepoint(u.service_safepoint);
  req.set_safepoint_ts(u.safepoint_ts);
  req.set_safepoint_ttl_seconds(u.safepoint_ttl.count());
  if (u.credentials) {
    req.mutable_credentials();  // present even when empty: an empty env removes them
    SetCredentials(*u.credentials, &req);
  }
  return Put(req);
}

Result<LogTaskGetResponse> LogTaskClient::Get(const std::string& name,
                                              bool with_sealed_credentials) {
  LogTaskGetRequest req;
  req.set_name(name);
  req.set_with_sealed_credentials(with_sealed_credentials);
  LogTaskGetResponse resp;
  BRIX_RETURN_IF_ERROR(pd_.Call("LogTaskGet", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.LogTaskGet(&c, req, &resp);
  }));
  return resp;
}

Result<std::vector<std::string>> LogTaskClient::List() {
  LogTaskListResponse resp;
  BRIX_RETURN_IF_ERROR(pd_.Call("LogTaskList", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.LogTaskList(&c, LogTaskListRequest(), &resp);
  }));
  return std::vector<std::string>(resp.names().begin(), resp.names().end());
}

Status LogTaskClient::Delete(const std::string& name) {
  LogTaskDeleteRequest req;
  req.set_name(name);
  LogTaskDeleteResponse resp;
  return pd_.Call("LogTaskDelete", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.LogTaskDelete(&c, req, &resp);
  });
}

Result<uint64_t> LogTaskClient::ReportCheckpoint(const LogCheckpointReport& r) {
  LogCheckpointRequest req;
  req.set_name(r.name);
  req.set_store_id(r.store_id);
  req.set_checkpoint(r.checkpoint);
  req.set_error(r.error);
  req.set_task_create_revision(r.task_create_revision);
  req.set_service_safepoint(r.service_safepoint);
  req.set_safepoint_ttl_seconds(r.safepoint_ttl.count());
  LogCheckpointResponse resp;
  BRIX_RETURN_IF_ERROR(pd_.Call("LogCheckpoint", [&](PD::Stub& s, grpc::ClientContext& c) {
    return s.LogCheckpoint(&c, req, &resp);
  }));
  return resp.global_checkpoint();
}

}  // namespace brix::cluster
