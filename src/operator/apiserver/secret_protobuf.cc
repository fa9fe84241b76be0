#include "operator/apiserver/secret_protobuf.h"

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

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

// A message's fields by number (k8s.io/api generated.proto), for the table-driven decoder.
struct PbMessage;
struct PbField {
  enum class Type { kString, kInt, kBool, kMessage, kObjectMeta };
  int number;
  const char* name;
  Type type;
  bool repeated = false;
  const PbMessage* message = nullptr;
};
struct PbMessage {
  std::vector<PbField> fields;
};

using T = PbField::Type;
const PbMessage kPolicyRule = {{{1, "verbs", T::kString, true},
                                {2, "apiGroups", T::kString, true},
                                {3, "resources", T::kString, true},
                                {4, "resourceNames", T::kString, true},
                                {5, "nonResourceURLs", T::kString, true}}};
const PbMessage kRole = {
    {{1, "metadata", T::kObjectMeta}, {2, "rules", T::kMessage, true, &kPolicyRule}}};
const PbMessage kSubject = {{{1, "kind", T::kString},
                             {2, "apiGroup", T::kString},
                             {3, "name", T::kString},
                             {4, "namespace", T::kString}}};
const PbMessage kRoleRef = {
    {{1, "apiGroup", T::kString}, {2, "kind", T::kString}, {3, "name", T::kString}}};
const PbMessage kRoleBinding = {{{1, "metadata", T::kObjectMeta},
                                 {2, "subjects", T::kMessage, true, &kSubject},
                                 {3, "roleRef", T::kMessage, false, &kRoleRef}}};
const PbMessage kObjectReference = {{{1, "kind", T::kString},
                                     {2, "namespace", T::kString},
                                     {3, "name", T::kString},
                                     {4, "uid", T::kString},
                                     {5, "apiVersion", T::kString}}};
const PbMessage kLocalObjectReference = {{{1, "name", T::kString}}};
const PbMessage kServiceAccount = {
    {{1, "metadata", T::kObjectMeta},
     {2, "secrets", T::kMessage, true, &kObjectReference},
     {3, "imagePullSecrets", T::kMessage, true, &kLocalObjectReference},
     {4, "automountServiceAccountToken", T::kBool}}};
const PbMessage kBoundObjectReference = {{{1, "kind", T::kString},
                                          {2, "apiVersion", T::kString},
                                          {3, "name", T::kString},
                                          {4, "uid", T::kString}}};
const PbMessage kTokenRequestSpec = {
    {{1, "audiences", T::kString, true},
     {3, "boundObjectRef", T::kMessage, false, &kBoundObjectReference},
     {4, "expirationSeconds", T::kInt}}};
const PbMessage kTokenRequest = {
    {{1, "metadata", T::kObjectMeta}, {2, "spec", T::kMessage, false, &kTokenRequestSpec}}};
const PbMessage kResourceAttributes = {{{1, "namespace", T::kString},
                                        {2, "verb", T::kString},
                                        {3, "group", T::kString},
                                        {4, "version", T::kString},
                                        {5, "resource", T::kString},
                                        {6, "subresource", T::kString},
                                        {7, "name", T::kString}}};
const PbMessage kNonResourceAttributes = {{{1, "path", T::kString}, {2, "verb", T::kString}}};
const PbMessage kSelfSubjectAccessReviewSpec = {
    {{1, "resourceAttributes", T::kMessage, false, &kResourceAttributes},
     {2, "nonResourceAttributes", T::kMessage, false, &kNonResourceAttributes}}};
const PbMessage kSelfSubjectAccessReview = {
    {{1, "metadata", T::kObjectMeta},
     {2, "spec", T::kMessage, false, &kSelfSubjectAccessReviewSpec}}};
const PbMessage kSelfSubjectReview = {{{1, "metadata", T::kObjectMeta}}};

const PbField* FindField(const PbMessage& m, int number) {
  for (const auto& f : m.fields) {
    if (f.number == number) return &f;
  }
  return nullptr;
}

Status DecodeMessage(std::string_view bytes, const PbMessage& message, Json* out) {
  *out = Json::object();
  auto put = [out](const PbField& f, Json value) {
    if (f.repeated) {
      (*out)[f.name].push_back(std::move(value));
    } else {
      (*out)[f.name] = std::move(value);
    }
  };
  return ForEachField(
      bytes,
      [&](int number, std::string_view b) -> Status {
        const PbField* f = FindField(message, number);
        if (f == nullptr) return Status::OK();  // server-owned or unused fields
        Json value;
        switch (f->type) {
          case T::kString:
            value = std::string(b);
            break;
          case T::kObjectMeta:
            value = Json::object();
            BRIX_RETURN_IF_ERROR(DecodeObjectMeta(b, &value));
            break;
          case T::kMessage:
            BRIX_RETURN_IF_ERROR(DecodeMessage(b, *f->message, &value));
            break;
          default:
            return Malformed("a length-delimited value in a scalar field");
        }
        put(*f, std::move(value));
        return Status::OK();
      },
      [&](int number, uint64_t v) {
        const PbField* f = FindField(message, number);
        if (f == nullptr) return;
        if (f->type == T::kBool) put(*f, v != 0);
        if (f->type == T::kInt) put(*f, static_cast<int64_t>(v));
      });
}

// The envelope: "k8s\0", then runtime.Unknown {1: TypeMeta{1: apiVersion, 2: kind}, 2: raw}.
Status OpenEnvelope(std::string_view body, std::string* api_version, std::string* kind,
                    std::string_view* raw) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (!body.starts_with(kMagic)) return Malformed("missing the k8s envelope");
  return ForEachField(body.substr(kMagic.size()), [&](int field, std::string_view bytes) -> Status {
    if (field == 1) {  // TypeMeta
      return ForEachField(bytes, [&](int f, std::string_view b) {
        if (f == 1) *api_version = std::string(b);
        if (f == 2) *kind = std::string(b);
        return Status::OK();
      });
    }
    if (field == 2) *raw = bytes;
    return Status::OK();
  });
}

}  // namespace

Result<Json> DecodeProtobufObject(std::string_view body) {
  std::string api_version, kind;
  std::string_view raw;
  BRIX_RETURN_IF_ERROR(OpenEnvelope(body, &api_version, &kind, &raw));
  if (kind == "Secret") return DecodeSecretProtobuf(body);
  static const std::map<std::pair<std::string, std::string>, const PbMessage*> kKinds = {
      {{"v1", "ServiceAccount"}, &kServiceAccount},
      {{"authentication.k8s.io/v1", "TokenRequest"}, &kTokenRequest},
      {{"authentication.k8s.io/v1", "SelfSubjectReview"}, &kSelfSubjectReview},
      {{"authorization.k8s.io/v1", "SelfSubjectAccessReview"}, &kSelfSubjectAccessReview},
      {{"rbac.authorization.k8s.io/v1", "Role"}, &kRole},
      {{"rbac.authorization.k8s.io/v1", "ClusterRole"}, &kRole},
      {{"rbac.authorization.k8s.io/v1", "RoleBinding"}, &kRoleBinding},
      {{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"}, &kRoleBinding},
  };
  auto it = kKinds.find({api_version, kind});
  if (it == kKinds.end()) {
    return Status::NotSupported("protobuf bodies are not accepted for " + api_version + " " + kind +
                                "; send application/json");
  }
  Json object;
  BRIX_RETURN_IF_ERROR(DecodeMessage(raw, *it->second, &object));
  object["apiVersion"] = api_version;
  object["kind"] = kind;
  return object;
}

Result<Json> DecodeSecretProtobuf(std::string_view body) {
  std::string api_version, kind;
  std::string_view raw;
  BRIX_RETURN_IF_ERROR(OpenEnvelope(body, &api_version, &kind, &raw));
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
