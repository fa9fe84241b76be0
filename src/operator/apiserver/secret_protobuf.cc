#include "operator/apiserver/secret_protobuf.h"

#include <cstdint>
#include <functional>

#include "common/encoding.h"

namespace brix::apiserver {

namespace {

using Json = nlohmann::json;

// A protobuf reader for the wire types these messages use (varint and length-delimited).
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  }

  // Reads the next field; for length-delimited fields `bytes` is its payload, otherwise
  // `varint` its value (fixed32/64 are skipped).
  bool Next(int* field, int* wire_type, std::string_view* bytes, uint64_t* varint) {
    uint64_t tag;
    if (!Varint(&tag)) return false;
    *field = static_cast<int>(tag >> 3);
    *wire_type = static_cast<int>(tag & 7);
    switch (*wire_type) {
      case 0:
        return Varint(varint);
      case 1:
        if (pos_ + 8 > data_.size()) return false;
        pos_ += 8;
        return true;
      case 2: {
        uint64_t len;
        if (!Varint(&len) || len > data_.size() - pos_) return false;
        *bytes = data_.substr(pos_, len);
        pos_ += len;
        return true;
      }
      case 5:
        if (pos_ + 4 > data_.size()) return false;
        pos_ += 4;
        return true;
      default:
        return false;
    }
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Status Malformed(const char* what) {
  return Status::InvalidArgument(std::string("malformed protobuf body: ") + what);
}

// Walks every field of a message, calling `on_bytes` for length-delimited ones and `on_varint`
// for varints.
Status ForEachField(std::string_view message,
                    const std::function<Status(int, std::string_view)>& on_bytes,
                    const std::function<void(int, uint64_t)>& on_varint = nullptr) {
  Reader r(message);
  while (!r.done()) {
    int field, wire;
    std::string_view bytes;
    uint64_t varint = 0;
    if (!r.Next(&field, &wire, &bytes, &varint)) return Malformed("truncated field");
    if (wire == 2) {
      BRIX_RETURN_IF_ERROR(on_bytes(field, bytes));
    } else if (wire == 0 && on_varint) {
      on_varint(field, varint);
    }
  }
  return Status::OK();
}

// A map<string, string|bytes> entry: {1: key, 2: value}.
Status MapEntry(std::string_view entry, std::string* key, std::string* value) {
  return ForEachField(entry, [&](int field, std::string_view bytes) {
    if (field == 1) *key = std::string(bytes);
    if (field == 2) *value = std::string(bytes);
    return Status::OK();
  });
}

Status DecodeObjectMeta(std::string_view message, Json* meta) {
  return ForEachField(message, [&](int field, std::string_view bytes) -> Status {
    switch (field) {
      case 1:
        (*meta)["name"] = std::string(bytes);
        break;
      case 2:
        (*meta)["generateName"] = std::string(bytes);
        break;
      case 3:
        (*meta)["namespace"] = std::string(bytes);
        break;
      case 11:
      case 12: {
        std::string k, v;
        BRIX_RETURN_IF_ERROR(MapEntry(bytes, &k, &v));
        (*meta)[field == 11 ? "labels" : "annotations"][k] = v;
        break;
      }
      case 14:
        (*meta)["finalizers"].push_back(std::string(bytes));
        break;
      default:
        break;  // server-owned or unused fields
    }
    return Status::OK();
  });
}

}  // namespace

Result<Json> DecodeSecretProtobuf(std::string_view body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (!body.starts_with(kMagic)) return Malformed("missing the k8s envelope");
  std::string api_version, kind;
  std::string_view raw;
  BRIX_RETURN_IF_ERROR(
      ForEachField(body.substr(kMagic.size()), [&](int field, std::string_view bytes) -> Status {
        if (field == 1) {  // TypeMeta
          return ForEachField(bytes, [&](int f, std::string_view b) {
            if (f == 1) api_version = std::string(b);
            if (f == 2) kind = std::string(b);
            return Status::OK();
          });
        }
        if (field == 2) raw = bytes;
        return Status::OK();
      }));
  if (kind != "Secret" || (api_version != "v1" && !api_version.empty())) {
    return Status::NotSupported("protobuf bodies are only accepted for v1 Secret, not " +
                                api_version + " " + kind);
  }
  Json secret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", Json::object()}};
  BRIX_RETURN_IF_ERROR(ForEachField(
      raw,
      [&](int field, std::string_view bytes) -> Status {
        switch (field) {
          case 1:
            return DecodeObjectMeta(bytes, &secret["metadata"]);
          case 2:
          case 4: {
            std::string k, v;
            BRIX_RETURN_IF_ERROR(MapEntry(bytes, &k, &v));
            if (field == 2) {
              secret["data"][k] = Base64Encode(v);
            } else {
              secret["stringData"][k] = v;
            }
            return Status::OK();
          }
          case 3:
            secret["type"] = std::string(bytes);
            return Status::OK();
          default:
            return Status::OK();
        }
      },
      [&](int field, uint64_t v) {
        if (field == 5) secret["immutable"] = v != 0;
      }));
  return secret;
}

}  // namespace brix::apiserver
