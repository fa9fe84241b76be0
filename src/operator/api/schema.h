// A small structural schema, the part of a CRD's OpenAPI schema that brixd enforces: types,
// enums, string formats (Go duration, TSO/time, cron), required fields, defaults, unknown-field
// rejection and a few cross-field rules. Errors are Kubernetes field errors: they carry the full
// path of the field ("spec.azblob.accessTier") so `kubectl` can show it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace brix::api {

using Json = nlohmann::json;

// One problem with one field, worded like k8s.io/apimachinery's field.Error.
struct FieldError {
  enum class Type { kRequired, kInvalid, kNotSupported, kForbidden, kUnknown };
  Type type = Type::kInvalid;
  std::string field;  // "spec.br.cluster"
  Json value;         // the offending value (kInvalid, kNotSupported)
  std::string detail;

  // "Required value", "Invalid value: \"x\": detail", "Unsupported value: \"x\": supported
  // values: \"a\", \"b\"", "Forbidden: detail", "Unknown field: detail".
  std::string Message() const;
  // The Kubernetes cause reason: FieldValueRequired, FieldValueInvalid, ...
  std::string Reason() const;
  // "<field>: <Message()>"
  std::string ToString() const { return field + ": " + Message(); }
};

struct Schema;
using SchemaPtr = std::shared_ptr<Schema>;
// A cross-field rule run on an object after its fields were checked; `path` is its own path.
using SchemaRule =
    std::function<void(const Json& value, const std::string& path, std::vector<FieldError>*)>;

struct Schema {
  enum class Type { kAny, kObject, kArray, kString, kInteger, kNumber, kBoolean, kIntOrString };
  enum class Format { kNone, kDuration, kTimestamp, kCron };

  Type type = Type::kAny;
  Format format = Format::kNone;
  std::map<std::string, SchemaPtr> properties;  // kObject
  SchemaPtr items;                              // kArray
  SchemaPtr additional_properties;              // kObject used as a map (labels, options)
  bool preserve_unknown = false;                // kObject whose other keys are kept unchecked
  std::vector<std::string> enum_values;         // kString
  std::vector<std::string> required;            // kObject
  std::optional<Json> default_value;
  std::vector<SchemaRule> rules;

  // Builder helpers, used by the resource definitions.
  static SchemaPtr Any();
  static SchemaPtr String();
  static SchemaPtr Integer();
  static SchemaPtr Number();
  static SchemaPtr Boolean();
  static SchemaPtr IntOrString();
  static SchemaPtr Enum(std::vector<std::string> values);
  static SchemaPtr Duration();   // Go duration ("3h", "90m")
  static SchemaPtr Timestamp();  // TSO, "YYYY-MM-DD HH:MM:SS" or RFC 3339
  static SchemaPtr Cron();
  static SchemaPtr Object(std::map<std::string, SchemaPtr> properties);
  static SchemaPtr Array(SchemaPtr items);
  static SchemaPtr Map(SchemaPtr values);
  // An object of a Kubernetes core type (affinity, resources, ...) kept as written.
  static SchemaPtr OpaqueObject();
};

// Removes object keys whose value is null (the API server prunes nulls of non-nullable fields
// before defaulting, so `options:` with nothing under it means "not set").
void DropNulls(Json* value);

// Fills missing object properties that have a default, recursively where objects exist.
void ApplyDefaults(const Schema& schema, Json* value);

// Checks `value` against `schema`; `path` is the value's own path ("" for the root).
std::vector<FieldError> Validate(const Schema& schema, const Json& value,
                                 const std::string& path = "");

// Removes unknown fields instead of rejecting them (fieldValidation=Ignore).
void PruneUnknown(const Schema& schema, Json* value);

}  // namespace brix::api
