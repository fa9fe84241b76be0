#include "storage/storage_url.h"

#include <unistd.h>

#include <climits>

#include "common/encoding.h"
#include "common/redact.h"

namespace brix::storage {
namespace {

Status Bad(std::string_view redacted, const std::string& why) {
  return Status::InvalidArgument("--storage '" + std::string(redacted) + "': " + why);
}

std::string Trim(std::string_view s, char c) {
  while (!s.empty() && s.front() == c) s.remove_prefix(1);
  while (!s.empty() && s.back() == c) s.remove_suffix(1);
  return std::string(s);
}

// Azure container names: 3-63 of [a-z0-9-], starting with a letter or digit, no "--", no trailing
// '-' (Azure's container naming rules).
bool IsValidContainer(std::string_view c) {
  if (c.size() < 3 || c.size() > 63) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
  }
  if (c.front() == '-' || c.back() == '-') return false;
  return c.find("--") == std::string_view::npos;
}

Result<std::map<std::string, std::string>> ParseQuery(std::string_view query,
                                                      std::string_view redacted) {
  std::map<std::string, std::string> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq));
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!name || !value) return Bad(redacted, "malformed percent-encoding in the query");
    if (params.count(*name)) return Bad(redacted, "parameter '" + *name + "' given twice");
    params[*name] = *value;
  }
  return params;
}

}  // namespace

Result<StorageUrl> ParseStorageUrl(std::string_view url) {
  StorageUrl out;
  out.redacted = RedactUrl(url);
  if (url.empty()) return Status::InvalidArgument("--storage: must not be empty");

  size_t scheme_end = url.find("://");
  std::string scheme =
      scheme_end == std::string_view::npos ? "" : std::string(url.substr(0, scheme_end));
  std::string_view rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  BRIX_ASSIGN_OR_RETURN(out.params, ParseQuery(query, out.redacted));

  if (scheme.empty() || scheme == "local" || scheme == "file") {
    out.kind = StorageUrl::Kind::kLocal;
    if (!out.params.empty()) {
      return Bad(out.redacted,
                 "local storage takes no parameters (got '" + out.params.begin()->first + "')");
    }
    std::string path(rest);
    if (path.empty()) return Bad(out.redacted, "the path is empty");
    if (!scheme.empty() && path.front() != '/') {
      return Bad(out.redacted, "a " + scheme + ":// location needs an absolute path, like " +
                                   scheme + ":///var/backups/b1");
    }
    if (path.front() != '/') {
      char cwd[PATH_MAX];
      if (getcwd(cwd, sizeof(cwd)) == nullptr) return Status::IOError("getcwd failed");
      path = std::string(cwd) + "/" + path;
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    out.path = path;
    return out;
  }

  if (scheme == "azure" || scheme == "azblob") {
    out.kind = StorageUrl::Kind::kAzure;
    size_t slash = rest.find('/');
    out.container = std::string(rest.substr(0, slash));
    out.prefix = slash == std::string_view::npos ? "" : Trim(rest.substr(slash + 1), '/');
    if (!IsValidContainer(out.container)) {
      return Bad(out.redacted, "container '" + out.container +
                                   "' is not a valid Azure container name (3-63 characters of "
                                   "a-z, 0-9 and '-', starting and ending with a letter or digit, "
                                   "no '--')");
    }
    if (out.prefix.find("//") != std::string::npos) {
      return Bad(out.redacted, "the prefix must not contain '//'");
    }
    return out;
  }

  return Bad(out.redacted, "unknown scheme '" + scheme +
                               "://' (accepted: local://, file://, azure://, azblob://, or a plain "
                               "path)");
}

}  // namespace brix::storage
