#include "net/grpc_tls.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

namespace brix::net {
namespace {

std::mutex g_mu;
std::optional<TlsConfig> g_client;  // set by SetClientTls

Result<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(std::string("TLS: cannot read the ") + what + " " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty())
    return Status::InvalidArgument(std::string("TLS: empty ") + what + " " + path);
  return ss.str();
}

struct Pems {
  std::string ca, cert, key;
};

// `missing` is the error for a configuration without any files.
Result<Pems> ReadFiles(const TlsFiles& f, const std::string& missing) {
  if (f.empty()) return Status::FailedPrecondition(missing);
  if (!f.complete()) {
    std::string which;
    if (f.ca_file.empty()) which += " CA file";
    if (f.cert_file.empty()) which += " certificate file";
    if (f.key_file.empty()) which += " key file";
    return Status::InvalidArgument("TLS: incomplete configuration, missing the" + which + ". " +
                                   missing);
  }
  Pems p;
  BRIX_ASSIGN_OR_RETURN(p.ca, ReadPem(f.ca_file, "CA file"));
  BRIX_ASSIGN_OR_RETURN(p.cert, ReadPem(f.cert_file, "certificate file"));
  BRIX_ASSIGN_OR_RETURN(p.key, ReadPem(f.key_file, "key file"));
  return p;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

Result<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const TlsConfig& config,
                                                                   const std::string& what) {
  if (config.insecure) {
    spdlog::warn(
        "!!! {} serves PLAINTEXT gRPC (--insecure): anyone who can reach its port can read and "
        "change the cluster. For debugging only. !!!",
        what);
    return grpc::InsecureServerCredentials();
  }
  BRIX_ASSIGN_OR_RETURN(
      Pems p, ReadFiles(config.files, what + ": TLS is required: pass --tls-ca-file, "
                                             "--tls-cert-file and --tls-key-file (or --insecure to "
                                             "serve plaintext, for debugging only)"));
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = p.ca;
  options.pem_key_cert_pairs.push_back({p.key, p.cert});
  return grpc::SslServerCredentials(options);
}

Result<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const TlsConfig& config) {
  if (config.insecure) {
    static std::once_flag warned;
    std::call_once(warned, [] {
      spdlog::warn(
          "!!! connecting to the cluster in PLAINTEXT (--insecure / BRIX_INSECURE=1): nothing "
          "is encrypted or authenticated. For debugging only. !!!");
    });
    return grpc::InsecureChannelCredentials();
  }
  BRIX_ASSIGN_OR_RETURN(
      Pems p,
      ReadFiles(config.files,
                "TLS is required to reach the cluster: set BRIX_TLS_CA_FILE, BRIX_TLS_CERT_FILE "
                "and BRIX_TLS_KEY_FILE (or pass --tls-ca-file, --tls-cert-file, --tls-key-file); "
                "a playground's are in its playground.env. BRIX_INSECURE=1 or --insecure allows "
                "plaintext, for debugging only"));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = p.ca;
  options.pem_cert_chain = p.cert;
  options.pem_private_key = p.key;
  return grpc::SslCredentials(options);
}

Result<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials() {
  return ChannelCredentials(ClientTls());
}

void SetClientTls(const TlsConfig& flags) {
  TlsConfig merged = MergeTlsConfig(flags, TlsConfigFromEnv());
  std::lock_guard<std::mutex> lock(g_mu);
  g_client = merged;
}

TlsConfig ClientTls() {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_client) return *g_client;
  }
  return TlsConfigFromEnv();
}

TlsConfig TlsConfigFromEnv() {
  TlsConfig c;
  c.files.ca_file = Getenv(kTlsCaFileEnv);
  c.files.cert_file = Getenv(kTlsCertFileEnv);
  c.files.key_file = Getenv(kTlsKeyFileEnv);
  std::string insecure = Getenv(kInsecureEnv);
  c.insecure = !insecure.empty() && insecure != "0" && insecure != "false";
  return c;
}

TlsConfig MergeTlsConfig(const TlsConfig& over, const TlsConfig& base) {
  TlsConfig c = base;
  if (!over.files.ca_file.empty()) c.files.ca_file = over.files.ca_file;
  if (!over.files.cert_file.empty()) c.files.cert_file = over.files.cert_file;
  if (!over.files.key_file.empty()) c.files.key_file = over.files.key_file;
  // Files given as flags win over an inherited BRIX_INSECURE.
  c.insecure = over.insecure || (base.insecure && over.files.empty());
  return c;
}

std::map<std::string, std::string> TlsEnv(const TlsConfig& config) {
  std::map<std::string, std::string> env;
  if (!config.files.ca_file.empty()) env[kTlsCaFileEnv] = config.files.ca_file;
  if (!config.files.cert_file.empty()) env[kTlsCertFileEnv] = config.files.cert_file;
  if (!config.files.key_file.empty()) env[kTlsKeyFileEnv] = config.files.key_file;
  if (config.insecure) env[kInsecureEnv] = "1";
  return env;
}

}  // namespace brix::net
