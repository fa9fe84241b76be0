#include "operator/api/schema.h"

#include "common/timestamp.h"
#include "operator/api/cron.h"
#include "operator/api/go_time.h"

namespace brix::api {

namespace {

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Quoted(const Json& v) {
  if (v.is_string()) return Json(v.get<std::string>()).dump();
  return v.dump();
}

const char* TypeName(Schema::Type t) {
  switch (t) {
    case Schema::Type::kObject:
      return "object";
    case Schema::Type::kArray:
      return "array";
    case Schema::Type::kString:
      return "string";
    case Schema::Type::kInteger:
      return "integer";
    case Schema::Type::kNumber:
      return "number";
    case Schema::Type::kBoolean:
      return "boolean";
    case Schema::Type::kIntOrString:
      return "integer or string";
    case Schema::Type::kAny:
      break;
  }
  return "any";
}

bool TypeMatches(Schema::Type t, const Json& v) {
  switch (t) {
    case Schema::Type::kAny:
      return true;
    case Schema::Type::kObject:
      return v.is_object();
    case Schema::Type::kArray:
      return v.is_array();
    case Schema::Type::kString:
      return v.is_string();
    case Schema::Type::kInteger:
      return v.is_number_integer();
    case Schema::Type::kNumber:
      return v.is_number();
    case Schema::Type::kBoolean:
      return v.is_boolean();
    case Schema::Type::kIntOrString:
      return v.is_number_integer() || v.is_string();
  }
  return false;
}

SchemaPtr Make(Schema::Type t) {
  auto s = std::make_shared<Schema>();
  s->type = t;
  return s;
}

void ValidateInto(const Schema& schema, const Json& value, const std::string& path,
                  std::vector<FieldError>* errors) {
  if (!TypeMatches(schema.type, value)) {
    errors->push_back({FieldError::Type::kInvalid, path, value,
                       std::string("must be of type ") + TypeName(schema.type)});
    return;
  }
  switch (schema.type) {
    case Schema::Type::kString: {
      const std::string& s = value.get_ref<const std::string&>();
      if (!schema.enum_values.empty()) {
        bool found = false;
        for (const auto& e : schema.enum_values) found = found || e == s;
        if (!found) {
          std::string supported;
          for (const auto& e : schema.enum_values) {
            supported += (supported.empty() ? "" : ", ") + Json(e).dump();
          }
          errors->push_back({FieldError::Type::kNotSupported, path, value, supported});
        }
      }
      if (schema.format == Schema::Format::kDuration) {
        auto d = ParseGoDuration(s);
        if (!d.ok()) {
          errors->push_back({FieldError::Type::kInvalid, path, value,
                             "must be a Go duration such as \"3h\" or \"90m\" (units ns, us, ms, "
                             "s, m, h; no \"d\"): " +
                                 d.status().message()});
        }
      } else if (schema.format == Schema::Format::kTimestamp && !s.empty()) {
        auto ts = ParseTimestamp(s, "");  // the error names the path
        if (!ts.ok())
          errors->push_back({FieldError::Type::kInvalid, path, value, ts.status().message()});
      } else if (schema.format == Schema::Format::kCron) {
        auto c = CronSchedule::Parse(s);
        if (!c.ok()) {
          errors->push_back({FieldError::Type::kInvalid, path, value,
                             "not a valid cron schedule (5 fields \"min hour day month weekday\" "
                             "or @hourly/@daily/@weekly/@monthly/@yearly/@every <duration>): " +
                                 c.status().message()});
        }
      }
      break;
    }
    case Schema::Type::kArray:
      if (schema.items) {
        for (size_t i = 0; i < value.size(); ++i) {
          ValidateInto(*schema.items, value[i], path + "[" + std::to_string(i) + "]", errors);
        }
      }
      break;
    case Schema::Type::kObject: {
      for (const auto& name : schema.required) {
        if (!value.contains(name) || value[name].is_null()) {
          errors->push_back({FieldError::Type::kRequired, Join(path, name), nullptr, ""});
        }
      }
      for (auto it = value.begin(); it != value.end(); ++it) {
        std::string child = Join(path, it.key());
        auto prop = schema.properties.find(it.key());
        if (prop != schema.properties.end()) {
          if (!it.value().is_null()) ValidateInto(*prop->second, it.value(), child, errors);
        } else if (schema.additional_properties) {
          if (!it.value().is_null()) {
            ValidateInto(*schema.additional_properties, it.value(), child, errors);
          }
        } else if (!schema.preserve_unknown) {
          errors->push_back(
              {FieldError::Type::kUnknown, child, nullptr, "field not declared in the schema"});
        }
      }
      for (const auto& rule : schema.rules) rule(value, path, errors);
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::string FieldError::Message() const {
  switch (type) {
    case Type::kRequired:
      return detail.empty() ? "Required value" : "Required value: " + detail;
    case Type::kInvalid:
      return "Invalid value: " + Quoted(value) + (detail.empty() ? "" : ": " + detail);
    case Type::kNotSupported:
      return "Unsupported value: " + Quoted(value) + ": supported values: " + detail;
    case Type::kForbidden:
      return "Forbidden: " + detail;
    case Type::kUnknown:
      return "Unknown field: " + detail;
  }
  return detail;
}

std::string FieldError::Reason() const {
  switch (type) {
    case Type::kRequired:
      return "FieldValueRequired";
    case Type::kInvalid:
      return "FieldValueInvalid";
    case Type::kNotSupported:
      return "FieldValueNotSupported";
    case Type::kForbidden:
      return "FieldValueForbidden";
    case Type::kUnknown:
      return "FieldValueUnknown";
  }
  return "FieldValueInvalid";
}

SchemaPtr Schema::Any() { return Make(Type::kAny); }
SchemaPtr Schema::String() { return Make(Type::kString); }
SchemaPtr Schema::Integer() { return Make(Type::kInteger); }
SchemaPtr Schema::Number() { return Make(Type::kNumber); }
SchemaPtr Schema::Boolean() { return Make(Type::kBoolean); }
SchemaPtr Schema::IntOrString() { return Make(Type::kIntOrString); }
SchemaPtr Schema::Enum(std::vector<std::string> values) {
  auto s = Make(Type::kString);
  s->enum_values = std::move(values);
  return s;
}
SchemaPtr Schema::Duration() {
  auto s = Make(Type::kString);
  s->format = Format::kDuration;
  return s;
}
SchemaPtr Schema::Timestamp() {
  auto s = Make(Type::kString);
  s->format = Format::kTimestamp;
  return s;
}
SchemaPtr Schema::Cron() {
  auto s = Make(Type::kString);
  s->format = Format::kCron;
  return s;
}
SchemaPtr Schema::Object(std::map<std::string, SchemaPtr> properties) {
  auto s = Make(Type::kObject);
  s->properties = std::move(properties);
  return s;
}
SchemaPtr Schema::Array(SchemaPtr items) {
  auto s = Make(Type::kArray);
  s->items = std::move(items);
  return s;
}
SchemaPtr Schema::Map(SchemaPtr values) {
  auto s = Make(Type::kObject);
  s->additional_properties = std::move(values);
  return s;
}
SchemaPtr Schema::OpaqueObject() {
  auto s = Make(Type::kObject);
  s->preserve_unknown = true;
  return s;
}

void DropNulls(Json* value) {
  if (value->is_object()) {
    for (auto it = value->begin(); it != value->end();) {
      if (it.value().is_null()) {
        it = value->erase(it);
      } else {
        DropNulls(&it.value());
        ++it;
      }
    }
  } else if (value->is_array()) {
    for (auto& item : *value) DropNulls(&item);
  }
}

void ApplyDefaults(const Schema& schema, Json* value) {
  if (schema.type == Schema::Type::kObject && value->is_object()) {
    for (const auto& [name, prop] : schema.properties) {
      if (!value->contains(name)) {
        if (prop->default_value) (*value)[name] = *prop->default_value;
      }
      if (value->contains(name)) ApplyDefaults(*prop, &(*value)[name]);
    }
  } else if (schema.type == Schema::Type::kArray && value->is_array() && schema.items) {
    for (auto& item : *value) ApplyDefaults(*schema.items, &item);
  }
}

std::vector<FieldError> Validate(const Schema& schema, const Json& value, const std::string& path) {
  std::vector<FieldError> errors;
  ValidateInto(schema, value, path, &errors);
  return errors;
}

void PruneUnknown(const Schema& schema, Json* value) {
  if (schema.type == Schema::Type::kObject && value->is_object()) {
    for (auto it = value->begin(); it != value->end();) {
      auto prop = schema.properties.find(it.key());
      if (prop != schema.properties.end()) {
        PruneUnknown(*prop->second, &it.value());
      } else if (schema.additional_properties) {
        PruneUnknown(*schema.additional_properties, &it.value());
      } else if (!schema.preserve_unknown) {
        it = value->erase(it);
        continue;
      }
      ++it;
    }
  } else if (schema.type == Schema::Type::kArray && value->is_array() && schema.items) {
    for (auto& item : *value) PruneUnknown(*schema.items, &item);
  }
}

}  // namespace brix::api
