#include "br/meta_seal.h"

#include <cstdio>
#include <vector>

#include "common/crc64.h"

namespace brix::br {
namespace {

constexpr std::string_view kMagic = "brixmeta";
constexpr size_t kMaxHeader = 128;  // magic, version, kind, length, CRC: far less than this

std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::vector<std::string_view> SplitSpaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= line.size()) {
    size_t space = line.find(' ', start);
    if (space == std::string_view::npos) space = line.size();
    out.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  return out;
}

// Decimal or hex digits only (no sign, no spaces), as the seal writes them.
bool ParseUnsigned(std::string_view text, int base, uint64_t* out) {
  if (text.empty() || text.size() > (base == 16 ? 16u : 20u)) return false;
  uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

std::string SealMeta(std::string_view kind, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 64);
  out.append(kMagic);
  out += ' ';
  out += std::to_string(kMetaSealVersion);
  out += ' ';
  out.append(kind);
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += Hex16(Crc64Xz(payload));
  out += '\n';
  out.append(payload);
  return out;
}

Result<std::string> UnsealMeta(std::string_view kind, std::string_view name,
                               std::string_view data) {
  const std::string what = std::string(kind) + " " + std::string(name);
  if (!data.starts_with(std::string(kMagic) + " ")) {
    return Status::Corruption(
        what +
        " has no checksum seal: it was written by a brix that predates metadata checksums (such "
        "locations are not readable by this version) or it is damaged; refusing it as a checksum "
        "mismatch");
  }
  size_t eol = data.substr(0, kMaxHeader).find('\n');
  if (eol == std::string_view::npos) {
    return Status::Corruption(what + ": its checksum seal header is damaged (checksum mismatch)");
  }
  auto fields = SplitSpaces(data.substr(0, eol));
  uint64_t version = 0, length = 0, crc = 0;
  if (fields.size() != 5 || !ParseUnsigned(fields[1], 10, &version) ||
      !ParseUnsigned(fields[3], 10, &length) || fields[4].size() != 16 ||
      !ParseUnsigned(fields[4], 16, &crc)) {
    return Status::Corruption(what + ": its checksum seal header is damaged (checksum mismatch)");
  }
  if (version != kMetaSealVersion) {
    return Status::Corruption(what + ": checksum seal version " + std::to_string(version) +
                              " is not readable by this brix (it reads version " +
                              std::to_string(kMetaSealVersion) +
                              "); newer or damaged (checksum mismatch)");
  }
  if (fields[2] != kind) {
    return Status::Corruption(what + " is sealed as a '" + std::string(fields[2]) +
                              "' object: wrong or damaged object (checksum mismatch)");
  }
  std::string_view payload = data.substr(eol + 1);
  if (payload.size() != length) {
    return Status::Corruption(what + ": " + std::to_string(payload.size()) +
                              " payload bytes, its seal says " + std::to_string(length) +
                              ": truncated or damaged (checksum mismatch)");
  }
  uint64_t computed = Crc64Xz(payload);
  if (computed != crc) {
    return Status::Corruption(what + ": checksum mismatch (CRC-64 of the content " +
                              Hex16(computed) + ", its seal says " + Hex16(crc) +
                              "): the object is damaged");
  }
  return std::string(payload);
}

std::string SealMessage(std::string_view kind, const google::protobuf::MessageLite& message) {
  return SealMeta(kind, message.SerializeAsString());
}

Status UnsealMessage(std::string_view kind, std::string_view name, std::string_view data,
                     google::protobuf::MessageLite* out) {
  BRIX_ASSIGN_OR_RETURN(std::string payload, UnsealMeta(kind, name, data));
  if (!out->ParseFromString(payload)) {
    return Status::Corruption(std::string(kind) + " " + std::string(name) +
                              " does not parse although its checksum matches");
  }
  return Status::OK();
}

Status PutMeta(storage::ExternalStorage& storage, std::string_view kind, std::string_view object,
               const google::protobuf::MessageLite& message, const storage::PutOptions& options) {
  return storage.Put(object, SealMessage(kind, message), options);
}

Status GetMeta(storage::ExternalStorage& storage, std::string_view kind, std::string_view object,
               google::protobuf::MessageLite* out) {
  BRIX_ASSIGN_OR_RETURN(std::string data, storage.Get(object));
  return UnsealMessage(kind, std::string(object) + " at " + storage.Describe(), data, out);
}

}  // namespace brix::br
