// Authentication of brixd's API: who a bearer token stands for.
//
// - The admin token (the playground's kubeconfig) is user "brix-admin" in system:masters.
// - The controller token, made by brixd at every start and held in memory only, is user
//   "system:brix-controller" in system:masters; only it may set a Job's job-kind marker
//   (api/job_kind.h).
// - ServiceAccount tokens are bound tokens as Kubernetes >= 1.24 issues them through the
//   TokenRequest API: short-lived (10 minutes to 24 hours, 1 hour by default), tied to the
//   ServiceAccount's uid, never stored in a readable Secret. A token is 32 random bytes (hex, with
//   a "brixsa_" prefix so that secret scanners can spot it); not a JWT, because nothing outside
//   brixd verifies it and a random token needs no signing key to guard and rotate. etcd holds
//   only its SHA-256 with the account's namespace, name, uid and expiry, under
//   kServiceAccountTokenPrefix (outside the registry prefix, so no API request can reach it),
//   attached to a lease that removes the record after expiry. A token authenticates while it is
//   unexpired and its ServiceAccount exists with the same uid: deleting or re-creating the account
//   invalidates every token issued for it. The user is system:serviceaccount:<ns>:<name> in
//   system:serviceaccounts, system:serviceaccounts:<ns> and system:authenticated.
// - Anything else, and no token at all, is unauthenticated (the server answers 401).
//
// Fixed tokens are compared in constant time; a ServiceAccount token is looked up by its hash,
// so no comparison of secret bytes happens in etcd. Tokens never appear in logs or errors.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "etcd/etcd_client.h"
#include "operator/apiserver/api_error.h"
#include "operator/apiserver/rbac.h"
#include "operator/apiserver/registry.h"

namespace brix::apiserver {

inline constexpr char kAdminUser[] = "brix-admin";
inline constexpr char kControllerUser[] = "system:brix-controller";
inline constexpr char kServiceAccountTokenPrefix[] = "/brix/internal/serviceaccount-tokens/";

inline constexpr std::chrono::seconds kDefaultTokenTtl{3600};
inline constexpr std::chrono::seconds kMinTokenTtl{600};
inline constexpr std::chrono::seconds kMaxTokenTtl{24 * 3600};

// What etcd keeps of one ServiceAccount token (never the token itself).
struct TokenRecord {
  std::string ns;
  std::string name;
  std::string uid;  // of the ServiceAccount when the token was issued
  int64_t expires_unix = 0;

  Json ToJson() const;
  static std::optional<TokenRecord> FromJson(const Json& json);
  // Valid at `now` for the account whose current uid is `current_uid` (nullopt: it is gone).
  bool ValidFor(const std::optional<std::string>& current_uid,
                std::chrono::system_clock::time_point now) const;
};

// Hex SHA-256 of a token: its etcd key under kServiceAccountTokenPrefix.
std::string TokenHash(std::string_view token);
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// A fresh 256-bit random token (hex), optionally prefixed.
std::string NewToken(std::string_view prefix = "");

struct IssuedToken {
  std::string token;
  std::chrono::system_clock::time_point expires;
};

// Issues and checks ServiceAccount tokens. Thread-safe. Usable outside the HTTP server (the job
// runner mints a token for the account a job runs as).
class ServiceAccountTokens {
 public:
  // `etcd` must outlive this object.
  explicit ServiceAccountTokens(etcd::EtcdClient* etcd);

  // A token for the existing ServiceAccount ns/name valid for `ttl`, clamped to
  // [kMinTokenTtl, kMaxTokenTtl]. 404 NotFound when the account does not exist.
  ApiResult<IssuedToken> Issue(const std::string& ns, const std::string& name,
                               std::chrono::seconds ttl = kDefaultTokenTtl);
  // The account's user, or nullopt when the token is unknown, expired or its account was
  // deleted or re-created. An error only when etcd cannot answer.
  Result<std::optional<UserInfo>> Authenticate(std::string_view token);

 private:
  etcd::EtcdClient* etcd_;
  Registry registry_;
};

class Authenticator {
 public:
  // `tokens` must outlive this object.
  Authenticator(std::string admin_token, std::string controller_token,
                ServiceAccountTokens* tokens);

  // The user of an `Authorization` header value ("Bearer <token>"); nullopt when unauthenticated.
  Result<std::optional<UserInfo>> Authenticate(std::string_view authorization_header);

 private:
  std::string admin_token_;
  std::string controller_token_;
  ServiceAccountTokens* tokens_;
};

}  // namespace brix::apiserver
