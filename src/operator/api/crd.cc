#include "operator/api/crd.h"

#include <yaml-cpp/yaml.h>

#include <regex>

#include "common/crypto.h"
#include "common/encoding.h"

namespace brix::api {

namespace {

const char* FormatDescription(Schema::Format format) {
  switch (format) {
    case Schema::Format::kDuration:
      return "A Go duration such as \"3h\" or \"90m\" (units ns, us, ms, s, m, h). brixd refuses "
             "other values; a Kubernetes API server does not check this format.";
    case Schema::Format::kTimestamp:
      return "A TSO, a time \"YYYY-MM-DD HH:MM:SS\" or an RFC 3339 time. brixd refuses other "
             "values; a Kubernetes API server does not check this format.";
    case Schema::Format::kCron:
      return "A cron schedule: 5 fields \"min hour day month weekday\" or @hourly, @daily, "
             "@weekly, @monthly, @yearly, @every DURATION. brixd refuses other values; a "
             "Kubernetes API server does not check this format.";
    case Schema::Format::kNone:
      break;
  }
  return nullptr;
}

Json PreserveUnknown() { return {{"x-kubernetes-preserve-unknown-fields", true}}; }

Json Column(const PrinterColumn& c) {
  Json out = {{"name", c.name}, {"type", c.type}, {"jsonPath", c.json_path}};
  if (c.priority > 0) out["priority"] = c.priority;
  if (!c.description.empty()) out["description"] = c.description;
  return out;
}

// Plain YAML scalars that read back as strings: a letter first, no characters YAML gives a
// meaning, and none of YAML 1.1's bool and null words (kubectl's YAML reader is YAML 1.1).
bool PlainSafe(const std::string& s) {
  static const std::regex re("[A-Za-z][A-Za-z0-9_./-]*");
  static const std::regex words("(y|n|yes|no|on|off|true|false|null)", std::regex::icase);
  return std::regex_match(s, re) && !std::regex_match(s, words);
}

void Emit(YAML::Emitter& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& [k, item] : v.items()) {
        out << YAML::Key;
        if (PlainSafe(k)) {
          out << k;
        } else {
          out << YAML::DoubleQuoted << k;
        }
        out << YAML::Value;
        Emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : v) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (PlainSafe(s)) {
        out << s;
      } else {
        out << YAML::DoubleQuoted << s;
      }
      return;
    }
    case Json::value_t::boolean:
      out << v.get<bool>();
      return;
    case Json::value_t::number_integer:
      out << v.get<int64_t>();
      return;
    case Json::value_t::number_unsigned:
      out << v.get<uint64_t>();
      return;
    case Json::value_t::number_float:
      out << v.get<double>();
      return;
    default:
      out << YAML::Null;
      return;
  }
}

bool OneOf(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (s == w) return true;
  }
  return false;
}

// A plain scalar resolved as YAML 1.1 (go-yaml v2, which kubectl reads manifests with) does for
// the types manifests use.
Json PlainScalar(const std::string& s) {
  if (OneOf(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})) {
    return true;
  }
  if (OneOf(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})) {
    return false;
  }
  if (OneOf(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  static const std::regex integer("[-+]?(0|[1-9][0-9]*)");
  static const std::regex number("[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, integer)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  if (std::regex_match(s, number)) return std::stod(s);
  return s;
}

Json NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = NodeToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(NodeToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      // "!" is yaml-cpp's tag of a quoted (non-plain) scalar: always a string.
      if (node.Tag() == "!") return node.Scalar();
      return PlainScalar(node.Scalar());
    default:
      return nullptr;
  }
}

std::vector<Json> BuildCrds() {
  std::vector<Json> out;
  for (const auto& r : AllResources()) {
    if (r.custom) out.push_back(CrdOf(r));
  }
  return out;
}

}  // namespace

Json OpenApiSchema(const Schema& s) {
  Json out = Json::object();
  switch (s.type) {
    case Schema::Type::kAny:
      out = PreserveUnknown();
      break;
    case Schema::Type::kObject: {
      out["type"] = "object";
      if (!s.properties.empty()) {
        Json props = Json::object();
        for (const auto& [name, prop] : s.properties) props[name] = OpenApiSchema(*prop);
        out["properties"] = std::move(props);
      }
      if (s.additional_properties) {
        out["additionalProperties"] = OpenApiSchema(*s.additional_properties);
      }
      if (s.preserve_unknown) out["x-kubernetes-preserve-unknown-fields"] = true;
      if (!s.required.empty()) out["required"] = s.required;
      break;
    }
    case Schema::Type::kArray:
      out["type"] = "array";
      out["items"] = s.items ? OpenApiSchema(*s.items) : PreserveUnknown();
      break;
    case Schema::Type::kString:
      out["type"] = "string";
      if (!s.enum_values.empty()) out["enum"] = s.enum_values;
      if (const char* d = FormatDescription(s.format)) out["description"] = d;
      break;
    case Schema::Type::kInteger:
      out["type"] = "integer";
      break;
    case Schema::Type::kNumber:
      out["type"] = "number";
      break;
    case Schema::Type::kBoolean:
      out["type"] = "boolean";
      break;
    case Schema::Type::kIntOrString:
      out["x-kubernetes-int-or-string"] = true;
      break;
  }
  if (s.default_value) out["default"] = *s.default_value;
  return out;
}

std::string SchemaFingerprint(const Json& crd_spec) {
  return HexEncode(Sha256(crd_spec.dump())).substr(0, 16);
}

Json CrdOf(const ResourceInfo& info) {
  Json schema = OpenApiSchema(*info.schema);
  // A CRD's schema may say nothing about metadata but that it is an object: the API server
  // owns its fields.
  if (schema.contains("properties") && schema["properties"].contains("metadata")) {
    schema["properties"]["metadata"] = {{"type", "object"}};
  }
  Json version = {{"name", info.version},
                  {"served", true},
                  {"storage", true},
                  {"schema", {{"openAPIV3Schema", std::move(schema)}}}};
  if (info.has_status) version["subresources"] = {{"status", Json::object()}};
  Json columns = Json::array();
  for (const auto& c : info.columns) {
    // A computed cell (Backup's LagSeconds: now - checkpoint) has no JSONPath a real API server
    // could print; only brixd shows it.
    if (c.json_path.empty()) continue;
    columns.push_back(Column(c));
  }
  if (!columns.empty()) version["additionalPrinterColumns"] = std::move(columns);
  Json names = {{"kind", info.kind},
                {"listKind", info.list_kind()},
                {"plural", info.plural},
                {"singular", info.singular},
                {"categories", {"all"}}};
  if (!info.short_names.empty()) names["shortNames"] = info.short_names;
  Json spec = {{"group", info.group},
               {"names", std::move(names)},
               {"scope", info.namespaced ? "Namespaced" : "Cluster"},
               {"versions", {std::move(version)}}};
  std::string fingerprint = SchemaFingerprint(spec);
  return {{"apiVersion", std::string(kCrdGroup) + "/" + kCrdVersion},
          {"kind", "CustomResourceDefinition"},
          {"metadata",
           {{"name", info.qualified_name()},
            {"annotations", {{kSchemaAnnotation, std::move(fingerprint)}}}}},
          {"spec", std::move(spec)}};
}

const std::vector<Json>& AllCrds() {
  static const std::vector<Json> crds = BuildCrds();
  return crds;
}

std::string ToYaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

std::string CrdsYaml() {
  std::string text =
      "# The CustomResourceDefinitions of brix (br.pingcap.com/v1alpha1), generated from the\n"
      "# schema tables brixd validates with (src/operator/api/resources.cc, crd.h); do not edit.\n"
      "# Regenerate with: ";
  text += kRegenerateCrdsCommand;
  text += "\n";
  for (const auto& crd : AllCrds()) text += "---\n" + ToYaml(crd);
  return text;
}

Json YamlToJson(const std::string& text) { return NodeToJson(YAML::Load(text)); }

std::vector<Json> YamlDocumentsToJson(const std::string& text) {
  std::vector<Json> out;
  for (const auto& doc : YAML::LoadAll(text)) {
    if (doc.IsNull()) continue;
    out.push_back(NodeToJson(doc));
  }
  return out;
}

}  // namespace brix::api
