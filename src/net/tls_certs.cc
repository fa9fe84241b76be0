#include "net/tls_certs.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "common/durable_file.h"

namespace brix::net {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

Status Fail(const std::string& what) { return Status::Internal("TLS certificates: " + what); }

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

bool IsIp(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A new certificate for `key` named `cn`, with a random serial and ten years' validity.
X509Ptr NewCertificate(EVP_PKEY* key, const std::string& cn) {
  X509Ptr cert(X509_new());
  if (!cert) return cert;
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

Status AddExtensions(X509* cert, X509* issuer,
                     const std::vector<std::pair<int, std::string>>& extensions) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) return Fail("cannot build extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  return Status::OK();
}

// "IP:127.0.0.1,DNS:localhost,..." for `hosts` plus 127.0.0.1 and localhost (wildcard listen
// addresses left out).
std::string SubjectAltNames(const std::vector<std::string>& hosts) {
  std::vector<std::string> all = {"127.0.0.1", "localhost"};
  for (const auto& h : hosts) {
    if (!h.empty() && h != "0.0.0.0" && h != "::") all.push_back(h);
  }
  std::string san;
  for (const auto& h : all) {
    san += std::string(san.empty() ? "" : ",") + (IsIp(h) ? "IP:" : "DNS:") + h;
  }
  return san;
}

Result<PemPair> Encode(X509* cert, EVP_PKEY* key) {
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail("cannot encode PEM");
  }
  return PemPair{BioText(cert_bio.get()), BioText(key_bio.get())};
}

// A self-signed certificate named `cn` with `extensions`.
Result<PemPair> MakeSelfSigned(const std::string& cn,
                               const std::vector<std::pair<int, std::string>>& extensions) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Fail("cannot generate an EC key");
  X509Ptr cert = NewCertificate(key.get(), cn);
  if (!cert) return Fail("cannot allocate a certificate");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  BRIX_RETURN_IF_ERROR(AddExtensions(cert.get(), cert.get(), extensions));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return Fail("cannot sign " + cn);
  return Encode(cert.get(), key.get());
}

}  // namespace

Result<PemPair> MakeCertificateAuthority(const std::string& common_name) {
  return MakeSelfSigned(common_name, {{NID_basic_constraints, "critical,CA:TRUE"},
                                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                      {NID_subject_key_identifier, "hash"}});
}

Result<PemPair> MakeSelfSignedServerCertificate(const std::string& common_name,
                                                const std::vector<std::string>& hosts) {
  return MakeSelfSigned(common_name, {{NID_subject_alt_name, SubjectAltNames(hosts)},
                                      {NID_basic_constraints, "critical,CA:TRUE"},
                                      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
                                      {NID_ext_key_usage, "serverAuth"}});
}

Result<PemPair> MakeLeafCertificate(const PemPair& ca, const std::string& common_name,
                                    const std::vector<std::string>& hosts) {
  BioPtr ca_cert_bio(BIO_new_mem_buf(ca.cert.data(), static_cast<int>(ca.cert.size())));
  BioPtr ca_key_bio(BIO_new_mem_buf(ca.key.data(), static_cast<int>(ca.key.size())));
  X509Ptr ca_cert(PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr));
  PkeyPtr ca_key(PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr));
  if (!ca_cert || !ca_key) return Fail("cannot read the CA certificate or key");

  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Fail("cannot generate an EC key");
  X509Ptr cert = NewCertificate(key.get(), common_name);
  if (!cert) return Fail("cannot allocate a certificate");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));

  BRIX_RETURN_IF_ERROR(AddExtensions(cert.get(), ca_cert.get(),
                                     {{NID_subject_alt_name, SubjectAltNames(hosts)},
                                      {NID_basic_constraints, "critical,CA:FALSE"},
                                      {NID_key_usage, "critical,digitalSignature"},
                                      {NID_ext_key_usage, "serverAuth,clientAuth"},
                                      {NID_authority_key_identifier, "keyid:always"}}));
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) return Fail("cannot sign the leaf");
  return Encode(cert.get(), key.get());
}

Result<TlsFiles> WriteClusterTls(const std::string& dir) {
  TlsFiles files{dir + "/ca.crt", dir + "/tls.crt", dir + "/tls.key"};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  if (std::filesystem::exists(files.ca_file) && std::filesystem::exists(files.cert_file) &&
      std::filesystem::exists(files.key_file)) {
    return files;
  }
  BRIX_ASSIGN_OR_RETURN(PemPair ca, MakeCertificateAuthority("brix cluster CA"));
  BRIX_ASSIGN_OR_RETURN(PemPair leaf, MakeLeafCertificate(ca, "brix"));
  BRIX_RETURN_IF_ERROR(WriteFileDurably(files.key_file, leaf.key, 0600));
  BRIX_RETURN_IF_ERROR(WriteFileDurably(files.cert_file, leaf.cert, 0600));
  BRIX_RETURN_IF_ERROR(WriteFileDurably(files.ca_file, ca.cert, 0600));
  return files;
}

}  // namespace brix::net
