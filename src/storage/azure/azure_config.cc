#include "storage/azure/azure_config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "common/encoding.h"

namespace brix::storage {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Connection strings are ';'-separated k=v pairs; split on the first '=' only (keys end in '==').
std::map<std::string, std::string> ParseConnectionString(const std::string& cs) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < cs.size()) {
    size_t semi = cs.find(';', start);
    std::string part =
        cs.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
    size_t eq = part.find('=');
    if (eq != std::string::npos) out[Lower(part.substr(0, eq))] = part.substr(eq + 1);
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  return out;
}

Result<uint64_t> ParseSize(const std::string& field, const std::string& text) {
  size_t pos = 0;
  uint64_t n = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    n = n * 10 + static_cast<uint64_t>(text[pos] - '0');
    ++pos;
  }
  std::string unit = Lower(text.substr(pos));
  uint64_t mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  if (unit == "k" || unit == "kib" || unit == "kb") mult = 1ull << 10;
  if (unit == "m" || unit == "mib" || unit == "mb") mult = 1ull << 20;
  if (pos == 0 || mult == 0) {
    return Status::InvalidArgument(
        "--storage parameter '" + field + "': '" + text +
        "' is not a size (accepted: bytes, or a number with KiB or MiB)");
  }
  return n * mult;
}

constexpr char kDefaultAuthority[] = "https://login.microsoftonline.com";

std::string TrimSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

Result<AzureConfig> ResolveAzureConfig(const StorageUrl& url, const EnvLookup& env) {
  static const std::set<std::string> kAccepted = {"account-name", "account-key",   "sas-token",
                                                  "endpoint",     "access-tier",   "block-size",
                                                  "concurrency",  "single-put-max"};
  for (const auto& [name, value] : url.params) {
    if (!kAccepted.count(name)) {
      return Status::InvalidArgument(
          "--storage: unknown parameter '" + name +
          "' (accepted: account-name, account-key, sas-token, endpoint, access-tier, block-size, "
          "concurrency, single-put-max)");
    }
  }
  auto param = [&](const std::string& name) -> std::optional<std::string> {
    auto it = url.params.find(name);
    if (it == url.params.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };

  std::map<std::string, std::string> cs;
  if (auto s = env("AZURE_STORAGE_CONNECTION_STRING")) cs = ParseConnectionString(*s);
  auto from_cs = [&](const std::string& key) -> std::optional<std::string> {
    auto it = cs.find(key);
    if (it == cs.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  bool dev_storage = Lower(from_cs("usedevelopmentstorage").value_or("")) == "true";

  AzureConfig cfg;
  cfg.container = url.container;
  cfg.prefix = url.prefix;

  if (auto v = param("account-name"))
    cfg.account = *v;
  else if (auto v = env("AZURE_STORAGE_ACCOUNT"))
    cfg.account = *v;
  else if (auto v = from_cs("accountname"))
    cfg.account = *v;
  else if (dev_storage)
    cfg.account = "devstoreaccount1";
  if (cfg.account.empty()) {
    return Status::InvalidArgument(
        "azure storage: no account name (set ?account-name= in --storage, AZURE_STORAGE_ACCOUNT, "
        "or AccountName= in AZURE_STORAGE_CONNECTION_STRING)");
  }

  if (auto v = param("endpoint"))
    cfg.endpoint = TrimSlashes(*v);
  else if (auto v = from_cs("blobendpoint"))
    cfg.endpoint = TrimSlashes(*v);
  else if (dev_storage)
    cfg.endpoint = "http://127.0.0.1:10000/devstoreaccount1";
  else if (auto v = from_cs("endpointsuffix")) {
    cfg.endpoint =
        from_cs("defaultendpointsprotocol").value_or("https") + "://" + cfg.account + ".blob." + *v;
  } else {
    cfg.endpoint = "https://" + cfg.account + ".blob.core.windows.net";
  }
  if (cfg.endpoint.rfind("http://", 0) != 0 && cfg.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("azure storage: endpoint must start with http:// or https://");
  }

  std::optional<std::string> sas = param("sas-token");
  if (!sas) sas = env("AZURE_STORAGE_SAS_TOKEN");
  if (!sas) sas = from_cs("sharedaccesssignature");
  auto client_id = env("AZURE_CLIENT_ID");
  auto tenant_id = env("AZURE_TENANT_ID");
  auto client_secret = env("AZURE_CLIENT_SECRET");
  std::optional<std::string> key = param("account-key");
  if (!key) key = env("AZURE_STORAGE_KEY");
  if (!key) key = from_cs("accountkey");
  if (!key && dev_storage) {
    key =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  }

  if (sas) {
    cfg.auth = AzureAuthKind::kSas;
    cfg.sas_token = sas->front() == '?' ? sas->substr(1) : *sas;
  } else if (client_id && tenant_id && client_secret) {
    cfg.auth = AzureAuthKind::kEntra;
    cfg.client_id = *client_id;
    cfg.tenant_id = *tenant_id;
    cfg.client_secret = *client_secret;
    cfg.authority_host = TrimSlashes(env("AZURE_AUTHORITY_HOST").value_or(kDefaultAuthority));
  } else if (auto token_file = env("AZURE_FEDERATED_TOKEN_FILE");
             token_file && client_id && tenant_id) {
    cfg.auth = AzureAuthKind::kWorkloadIdentity;
    cfg.client_id = *client_id;
    cfg.tenant_id = *tenant_id;
    cfg.federated_token_file = *token_file;
    cfg.authority_host = TrimSlashes(env("AZURE_AUTHORITY_HOST").value_or(kDefaultAuthority));
  } else if (key) {
    cfg.auth = AzureAuthKind::kSharedKey;
    if (!Base64Decode(*key)) {
      return Status::InvalidArgument("azure storage: the account key is not valid base64");
    }
    cfg.account_key = *key;
  } else if (auto imds = env("AZURE_POD_IDENTITY_AUTHORITY_HOST"); imds || client_id) {
    // Managed identity, the last choice, and only when asked for (an identity's client id, or
    // the metadata endpoint named): nothing configured is an error now, not a request to a
    // link-local address. Whether the endpoint answers shows at the first request.
    cfg.auth = AzureAuthKind::kManagedIdentity;
    cfg.client_id = client_id.value_or("");
    cfg.imds_authority = TrimSlashes(imds.value_or("http://169.254.169.254"));
  } else {
    return Status::InvalidArgument(
        "azure storage: no credentials (set AZURE_STORAGE_SAS_TOKEN or ?sas-token=; or "
        "AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET; or AZURE_FEDERATED_TOKEN_FILE "
        "with AZURE_CLIENT_ID and AZURE_TENANT_ID; or AZURE_STORAGE_KEY; or, for a managed "
        "identity, AZURE_CLIENT_ID alone (user-assigned) or AZURE_POD_IDENTITY_AUTHORITY_HOST "
        "(system-assigned, e.g. http://169.254.169.254))");
  }

  if (auto v = param("access-tier")) {
    std::string t = Lower(*v);
    if (t == "hot")
      cfg.access_tier = "Hot";
    else if (t == "cool")
      cfg.access_tier = "Cool";
    else if (t == "cold")
      cfg.access_tier = "Cold";
    else if (t == "archive")
      cfg.access_tier = "Archive";
    else {
      return Status::InvalidArgument("--storage parameter 'access-tier': '" + *v +
                                     "' is not a tier (accepted: Hot, Cool, Cold, Archive)");
    }
  }
  if (auto v = param("block-size")) {
    BRIX_ASSIGN_OR_RETURN(cfg.transfer.block_size, ParseSize("block-size", *v));
    if (cfg.transfer.block_size < (64u << 10) || cfg.transfer.block_size > (4000ull << 20)) {
      return Status::InvalidArgument(
          "--storage parameter 'block-size': must be between 64KiB and 4000MiB");
    }
  }
  if (auto v = param("single-put-max")) {
    BRIX_ASSIGN_OR_RETURN(cfg.transfer.single_put_max, ParseSize("single-put-max", *v));
    if (cfg.transfer.single_put_max > (5000ull << 20)) {
      return Status::InvalidArgument("--storage parameter 'single-put-max': at most 5000MiB");
    }
  }
  if (auto v = param("concurrency")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 256) {
      return Status::InvalidArgument("--storage parameter 'concurrency': '" + *v +
                                     "' is not a whole number from 1 to 256");
    }
    cfg.transfer.concurrency = static_cast<int>(n);
  }
  if (auto v = env("BRIX_CA_FILE")) cfg.ca_file = *v;
  return cfg;
}

}  // namespace brix::storage
