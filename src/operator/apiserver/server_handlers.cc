// ApiServer handlers of one resource: get, list, create, update, patch and delete, with the
// body, selector and Table-output helpers they share (server_impl.h).
#include "operator/apiserver/secret_protobuf.h"
#include "operator/apiserver/server_impl.h"
#include "operator/apiserver/table.h"

namespace brix::apiserver {

namespace {

std::vector<std::string> SupportedFieldLabels(const api::ResourceInfo& info) {
  std::vector<std::string> labels = {"metadata.name", "metadata.namespace"};
  if (info.kind == "Event") {
    for (const char* f :
         {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
          "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
          "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}) {
      labels.push_back(f);
    }
  }
  if (info.kind == "Secret") labels.push_back("type");
  if (info.kind == "Job") labels.push_back("status.successful");
  if (info.kind == "Pod") {
    labels.push_back("status.phase");
    labels.push_back("spec.nodeName");
  }
  return labels;
}

}  // namespace

bool ApiServer::Impl::WantsTable(const httplib::Request& req) {
  return req.get_header_value("Accept").find("as=Table") != std::string::npos;
}

WriteOptions ApiServer::Impl::WriteOptionsFor(const httplib::Request& req) {
  WriteOptions o;
  std::string v = req.get_param_value("fieldValidation");
  if (v == "Ignore" || v == "Warn") o.field_validation = FieldValidation::kIgnore;
  o.dry_run = req.has_param("dryRun");
  return o;
}

// The request body as JSON (protobuf for the kinds kubectl >= 1.32's typed clients send).
ApiResult<Json> ApiServer::Impl::Body(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  if (type.starts_with("application/vnd.kubernetes.protobuf")) {
    auto object = DecodeProtobufObject(req.body);
    if (!object.ok()) {
      if (object.status().code() == Status::Code::kNotSupported) {
        return ApiError::UnsupportedMediaType(object.status().message());
      }
      return ApiError::BadRequest(object.status().message());
    }
    return std::move(object).value();
  }
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    return ApiError::BadRequest("the request body is not valid JSON");
  }
  return body;
}

ApiResult<ApiServer::Impl::Selectors> ApiServer::Impl::ParseSelectors(const httplib::Request& req,
                                                                      const Target& t) {
  auto labels = LabelSelector::Parse(req.get_param_value("labelSelector"));
  if (!labels.ok()) return ApiError::BadRequest(labels.status().message());
  auto fields =
      FieldSelector::Parse(req.get_param_value("fieldSelector"), SupportedFieldLabels(*t.info));
  if (!fields.ok()) return ApiError::BadRequest(fields.status().message());
  return Selectors{std::move(labels).value(), std::move(fields).value()};
}

void ApiServer::Impl::GetOne(const httplib::Request& req, httplib::Response& res, const Target& t) {
  auto object = registry->Get(*t.info, t.ns, t.name);
  if (!object.ok()) return Fail(res, object.error());
  if (WantsTable(req)) {
    return Reply(res, 200,
                 ToTable(*t.info, {object.value()}, std::chrono::system_clock::now(),
                         object.value()["metadata"].value("resourceVersion", "")));
  }
  Reply(res, 200, object.value());
}

void ApiServer::Impl::ListCollection(const httplib::Request& req, httplib::Response& res,
                                     const Target& t) {
  auto selectors = ParseSelectors(req, t);
  if (!selectors.ok()) return Fail(res, selectors.error());
  auto list = registry->List(*t.info, t.ns);
  if (!list.ok()) return Fail(res, list.error());
  std::vector<Json> items;
  for (auto& item : list.value().items) {
    if (selectors.value().Matches(item)) items.push_back(std::move(item));
  }
  std::string rv = std::to_string(list.value().revision);
  if (WantsTable(req)) {
    return Reply(res, 200, ToTable(*t.info, items, std::chrono::system_clock::now(), rv));
  }
  Reply(res, 200,
        {{"kind", t.info->list_kind()},
         {"apiVersion", t.info->group_version()},
         {"metadata", {{"resourceVersion", rv}}},
         {"items", items}});
}

void ApiServer::Impl::CreateOne(const httplib::Request& req, httplib::Response& res,
                                const Target& t, const WriteOptions& write) {
  auto body = Body(req);
  if (!body.ok()) return Fail(res, body.error());
  auto created = registry->Create(*t.info, t.ns, std::move(body.value()), write);
  if (!created.ok()) return Fail(res, created.error());
  Reply(res, 201, created.value());
}

void ApiServer::Impl::UpdateOne(const httplib::Request& req, httplib::Response& res,
                                const Target& t, const WriteOptions& write) {
  auto body = Body(req);
  if (!body.ok()) return Fail(res, body.error());
  auto updated = registry->Update(*t.info, t.ns, t.name, std::move(body.value()), t.status, write);
  if (!updated.ok()) return Fail(res, updated.error());
  Reply(res, 200, updated.value());
}

void ApiServer::Impl::PatchOne(const httplib::Request& req, httplib::Response& res, const Target& t,
                               const WriteOptions& write) {
  std::string type = req.get_header_value("Content-Type");
  PatchType patch_type;
  if (type.starts_with("application/merge-patch+json")) {
    patch_type = PatchType::kMerge;
  } else if (type.starts_with("application/strategic-merge-patch+json") && !t.info->custom) {
    patch_type = PatchType::kStrategicMerge;
  } else if (type.starts_with("application/json-patch+json")) {
    patch_type = PatchType::kJson;
  } else if (type.starts_with("application/apply-patch")) {
    patch_type = PatchType::kApply;
  } else {
    return Fail(res,
                ApiError::UnsupportedMediaType(
                    "the body of the request was in an unknown format - accepted media "
                    "types include: application/json-patch+json, "
                    "application/merge-patch+json, application/apply-patch+yaml" +
                    std::string(t.info->custom ? "" : ", application/strategic-merge-patch+json")));
  }
  Json patch = Json::parse(req.body, nullptr, false);
  if (patch.is_discarded()) {
    return Fail(res, ApiError::BadRequest("the patch is not valid JSON (YAML apply patches are "
                                          "not supported; kubectl sends JSON)"));
  }
  auto patched = registry->Patch(*t.info, t.ns, t.name, patch_type, patch, t.status, write);
  if (!patched.ok()) return Fail(res, patched.error());
  Reply(res, 200, patched.value());
}

void ApiServer::Impl::DeleteOne(const httplib::Request& req, httplib::Response& res,
                                const Target& t) {
  std::string precondition;
  if (!req.body.empty()) {
    Json options = Json::parse(req.body, nullptr, false);
    if (options.is_object() && options.contains("preconditions") &&
        options["preconditions"].is_object()) {
      precondition = options["preconditions"].value("resourceVersion", "");
    }
  }
  auto deleted = registry->Delete(*t.info, t.ns, t.name, precondition);
  if (!deleted.ok()) return Fail(res, deleted.error());
  Reply(res, 200, deleted.value());
}

}  // namespace brix::apiserver
