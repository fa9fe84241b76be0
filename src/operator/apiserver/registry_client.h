// RegistryClient: the client::ApiClient straight over the etcd-backed Registry, for the controllers
// and the job runner inside brixd. Same semantics as the HTTP API (validation, defaults,
// finalizers, resourceVersion checks) without a network hop. It lives with the Registry, so the
// client library (operator/client) never links the API server.
#pragma once

#include <memory>

#include "etcd/etcd_client.h"
#include "operator/apiserver/registry.h"
#include "operator/client/api_client.h"

namespace brix::apiserver {

class RegistryClient final : public client::ApiClient {
 public:
  // `etcd` must outlive the client.
  explicit RegistryClient(etcd::EtcdClient* etcd);

  Result<Json> Get(const api::ResourceInfo& info, const std::string& ns,
                   const std::string& name) override;
  Result<std::vector<Json>> List(const api::ResourceInfo& info, const std::string& ns,
                                 const std::string& label_selector) override;
  Result<Json> Create(const api::ResourceInfo& info, const std::string& ns,
                      const Json& object) override;
  Result<Json> Update(const api::ResourceInfo& info, const Json& object) override;
  Result<Json> UpdateStatus(const api::ResourceInfo& info, const Json& object) override;
  Status Delete(const api::ResourceInfo& info, const std::string& ns,
                const std::string& name) override;
  Result<std::unique_ptr<client::WatchHandle>> Watch(
      const api::ResourceInfo& info,
      std::function<void(const client::WatchEvent&)> on_event) override;

 private:
  etcd::EtcdClient* etcd_;
  Registry registry_;
};

}  // namespace brix::apiserver
