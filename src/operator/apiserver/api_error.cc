#include "operator/apiserver/api_error.h"

namespace brix::apiserver {

namespace {

Json Details(const api::ResourceInfo& info, const std::string& name) {
  return {{"name", name}, {"group", info.group}, {"kind", info.plural}};
}

}  // namespace

Json ApiError::ToStatus() const {
  Json s = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
            {"status", "Failure"}, {"message", message}, {"reason", reason},
            {"code", code}};
  if (!details.is_null()) s["details"] = details;
  return s;
}

ApiError ApiError::NotFound(const api::ResourceInfo& info, const std::string& name) {
  return {404, "NotFound", info.qualified_name() + " \"" + name + "\" not found",
          Details(info, name)};
}

ApiError ApiError::AlreadyExists(const api::ResourceInfo& info, const std::string& name) {
  return {409, "AlreadyExists", info.qualified_name() + " \"" + name + "\" already exists",
          Details(info, name)};
}

ApiError ApiError::Conflict(const api::ResourceInfo& info, const std::string& name) {
  return {409, "Conflict",
          "Operation cannot be fulfilled on " + info.qualified_name() + " \"" + name +
              "\": the object has been modified; please apply your changes to the latest "
              "version and try again",
          Details(info, name)};
}

ApiError ApiError::Invalid(const api::ResourceInfo& info, const std::string& name,
                           const std::vector<api::FieldError>& errors) {
  // The message lists every error; kubectl prints the causes ("The Backup "x" is invalid:
  // spec.logSubcommand: Unsupported value: ...").
  std::string list;
  Json causes = Json::array();
  for (const auto& e : errors) {
    list += (list.empty() ? "" : ", ") + e.ToString();
    causes.push_back({{"reason", e.Reason()}, {"message", e.Message()}, {"field", e.field}});
  }
  if (errors.size() > 1) list = "[" + list + "]";
  std::string qualified = info.group.empty() ? info.kind : info.kind + "." + info.group;
  return {422,
          "Invalid",
          qualified + " \"" + name + "\" is invalid: " + list,
          {{"name", name}, {"group", info.group}, {"kind", info.kind}, {"causes", causes}}};
}

ApiError ApiError::BadRequest(std::string message) {
  return {400, "BadRequest", std::move(message), nullptr};
}

ApiError ApiError::UnsupportedMediaType(std::string message) {
  return {415, "UnsupportedMediaType", std::move(message), nullptr};
}

ApiError ApiError::MethodNotAllowed(std::string message) {
  return {405, "MethodNotAllowed", std::move(message), nullptr};
}

ApiError ApiError::FromStatus(const Status& status) {
  if (status.IsRetryable()) return {503, "ServiceUnavailable", status.ToString(), nullptr};
  return {500, "InternalError", status.ToString(), nullptr};
}

}  // namespace brix::apiserver
