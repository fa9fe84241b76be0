#include "operator/apiserver/authn.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/random.h"

namespace brix::apiserver {

namespace {

constexpr char kTokenPrefix[] = "brixsa_";
// The lease outlives the expiry a little, so an expired record is refused by its timestamp
// rather than vanishing mid-request.
constexpr std::chrono::seconds kLeaseSlack{60};

const api::ResourceInfo& ServiceAccounts() {
  static const api::ResourceInfo* info = api::FindResource("", "v1", "serviceaccounts");
  return *info;
}

int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

Json TokenRecord::ToJson() const {
  return {{"namespace", ns}, {"name", name}, {"uid", uid}, {"expiresUnix", expires_unix}};
}

std::optional<TokenRecord> TokenRecord::FromJson(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  for (const char* f : {"namespace", "name", "uid"}) {
    if (!json.contains(f) || !json[f].is_string()) return std::nullopt;
  }
  if (!json.contains("expiresUnix") || !json["expiresUnix"].is_number_integer()) {
    return std::nullopt;
  }
  return TokenRecord{json["namespace"], json["name"], json["uid"], json["expiresUnix"]};
}

bool TokenRecord::ValidFor(const std::optional<std::string>& current_uid,
                           std::chrono::system_clock::time_point now) const {
  return current_uid.has_value() && !uid.empty() && *current_uid == uid &&
         UnixSeconds(now) < expires_unix;
}

std::string TokenHash(std::string_view token) { return HexEncode(Sha256(token)); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length of a fixed token is not a secret (it is always 64 hex digits).
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string NewToken(std::string_view prefix) {
  return std::string(prefix) + HexEncode(RandomBytes16()) + HexEncode(RandomBytes16());
}

ServiceAccountTokens::ServiceAccountTokens(etcd::EtcdClient* etcd) : etcd_(etcd), registry_(etcd) {}

ApiResult<IssuedToken> ServiceAccountTokens::Issue(const std::string& ns, const std::string& name,
                                                   std::chrono::seconds ttl) {
  ttl = std::clamp(ttl, kMinTokenTtl, kMaxTokenTtl);
  BRIX_API_ASSIGN_OR_RETURN(Json account, registry_.Get(ServiceAccounts(), ns, name));
  std::string uid = account["metadata"].value("uid", "");
  if (uid.empty()) {
    return ApiError::FromStatus(
        Status::Corruption("ServiceAccount " + ns + "/" + name + " has no uid"));
  }
  IssuedToken issued;
  issued.token = NewToken(kTokenPrefix);
  issued.expires = std::chrono::system_clock::now() + ttl;
  TokenRecord record{ns, name, uid, UnixSeconds(issued.expires)};
  auto lease = etcd_->GrantLease(ttl + kLeaseSlack);
  if (!lease.ok()) return ApiError::FromStatus(lease.status());
  auto put = etcd_->Put(kServiceAccountTokenPrefix + TokenHash(issued.token),
                        record.ToJson().dump(), *lease);
  if (!put.ok()) return ApiError::FromStatus(put.status());
  return issued;
}

Result<std::optional<UserInfo>> ServiceAccountTokens::Authenticate(std::string_view token) {
  if (!token.starts_with(kTokenPrefix)) return std::optional<UserInfo>();
  std::string key = kServiceAccountTokenPrefix + TokenHash(token);
  BRIX_ASSIGN_OR_RETURN(auto kv, etcd_->Get(key));
  if (!kv.has_value()) return std::optional<UserInfo>();
  auto record = TokenRecord::FromJson(Json::parse(kv->value, nullptr, false));
  if (!record.has_value()) return std::optional<UserInfo>();
  std::optional<std::string> current_uid;
  auto account = registry_.Get(ServiceAccounts(), record->ns, record->name);
  if (account.ok()) {
    current_uid = account.value()["metadata"].value("uid", "");
  } else if (account.error().code != 404) {
    return Status::Unavailable("cannot read ServiceAccount " + record->ns + "/" + record->name +
                               ": " + account.error().message);
  }
  if (!record->ValidFor(current_uid, std::chrono::system_clock::now())) {
    // Dead for good (expired, or its account is gone or was re-created): forget it now.
    etcd_->Delete(key).status().IgnoreError();
    return std::optional<UserInfo>();
  }
  return std::optional<UserInfo>(ServiceAccountUser(record->ns, record->name));
}

Authenticator::Authenticator(std::string admin_token, std::string controller_token,
                             ServiceAccountTokens* tokens)
    : admin_token_(std::move(admin_token)),
      controller_token_(std::move(controller_token)),
      tokens_(tokens) {}

Result<std::optional<UserInfo>> Authenticator::Authenticate(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (!header.starts_with(kBearer)) return std::optional<UserInfo>();
  std::string_view token = header.substr(kBearer.size());
  if (token.empty()) return std::optional<UserInfo>();
  if (!admin_token_.empty() && ConstantTimeEquals(token, admin_token_)) {
    return std::optional<UserInfo>(UserInfo{kAdminUser, {kSystemMasters, kSystemAuthenticated}});
  }
  if (!controller_token_.empty() && ConstantTimeEquals(token, controller_token_)) {
    return std::optional<UserInfo>(
        UserInfo{kControllerUser, {kSystemMasters, kSystemAuthenticated}});
  }
  return tokens_->Authenticate(token);
}

}  // namespace brix::apiserver
