// RegistryClient: ApiClient straight over the etcd-backed Registry, for the controllers and the
// job runner inside brixd. Same semantics as the HTTP API (validation, defaults, finalizers,
// resourceVersion checks) without a network hop.
#pragma once

#include <memory>

#include "etcd/etcd_client.h"
#include "operator/apiserver/registry.h"
#include "operator/client/api_client.h"

namespace brix::client {

class RegistryClient final : public ApiClient {
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
  Result<std::unique_ptr<WatchHandle>> Watch(
      const api::ResourceInfo& info, std::function<void(const WatchEvent&)> on_event) override;

 private:
  etcd::EtcdClient* etcd_;
  apiserver::Registry registry_;
};

// The Status an API error stands for (see ApiClient's mapping).
Status StatusFromApiError(int code, const std::string& reason, const std::string& message);

}  // namespace brix::client
