#include "operator/apiserver/table.h"

#include <cstdio>

#include "common/time_util.h"

namespace brix::apiserver {

namespace {

std::string Fmt(const char* format, int64_t a, int64_t b = 0) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, static_cast<long long>(a), static_cast<long long>(b));
  return buf;
}

const Json* At(const Json& object, const std::string& json_path) {
  const Json* cur = &object;
  size_t start = json_path.starts_with(".") ? 1 : 0;
  while (start <= json_path.size()) {
    size_t dot = json_path.find('.', start);
    std::string part =
        json_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

std::optional<SystemTime> TimeAt(const Json& object, const std::string& path) {
  const Json* v = At(object, path);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return ParseIso8601Utc(v->get<std::string>());
}

Json Age(std::optional<SystemTime> t, SystemTime now) {
  if (!t) return nullptr;
  return HumanDuration(now - *t);
}

Json Cell(const api::PrinterColumn& col, const Json& object, SystemTime now) {
  if (col.compute) return col.compute(object);
  if (col.type == "duration") {  // a Job's DURATION
    auto start = TimeAt(object, ".status.startTime");
    if (!start) return "";
    auto end = TimeAt(object, ".status.completionTime");
    return HumanDuration((end ? *end : now) - *start);
  }
  if (col.type == "date") {
    const Json* v = At(object, col.json_path);
    if (v == nullptr || !v->is_string()) return nullptr;
    auto t = ParseIso8601Utc(v->get<std::string>());
    return t ? Age(t, now) : Json(v->get<std::string>());
  }
  const Json* v = At(object, col.json_path);
  if (v == nullptr) return nullptr;
  if (col.type == "string" && !v->is_string()) return v->dump();
  return *v;
}

}  // namespace

std::string HumanDuration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  if (d < -seconds(1)) return "<invalid>";
  if (d < nanoseconds(0)) return "0s";
  int64_t secs = duration_cast<seconds>(d).count();
  if (secs < 60 * 2) return Fmt("%llds", secs);
  int64_t minutes = secs / 60;
  if (minutes < 10) {
    int64_t s = secs % 60;
    return s == 0 ? Fmt("%lldm", minutes) : Fmt("%lldm%llds", minutes, s);
  }
  if (minutes < 60 * 3) return Fmt("%lldm", minutes);
  int64_t hours = secs / 3600;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? Fmt("%lldh", hours) : Fmt("%lldh%lldm", hours, m);
  }
  if (hours < 48) return Fmt("%lldh", hours);
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? Fmt("%lldd", hours / 24) : Fmt("%lldd%lldh", hours / 24, h);
  }
  if (hours < 24 * 365 * 2) return Fmt("%lldd", hours / 24);
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? Fmt("%lldy", hours / 24 / 365) : Fmt("%lldy%lldd", hours / 24 / 365, dy);
  }
  return Fmt("%lldy", hours / 24 / 365);
}

Json ToTable(const api::ResourceInfo& info, const std::vector<Json>& objects,
             std::chrono::system_clock::time_point now, const std::string& resource_version,
             bool with_columns) {
  Json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", {{"resourceVersion", resource_version}}}};
  if (with_columns) {
    Json defs = Json::array();
    defs.push_back({{"name", "Name"},
                    {"type", "string"},
                    {"format", "name"},
                    {"description", "Name must be unique within a namespace."},
                    {"priority", 0}});
    for (const auto& col : info.columns) {
      defs.push_back({{"name", col.name},
                      {"type", col.type == "duration" ? "string" : col.type},
                      {"format", ""},
                      {"description", col.description},
                      {"priority", col.priority}});
    }
    table["columnDefinitions"] = std::move(defs);
  } else {
    table["columnDefinitions"] = nullptr;
  }
  Json rows = Json::array();
  for (const auto& object : objects) {
    Json cells = Json::array();
    cells.push_back(object["metadata"].value("name", ""));
    for (const auto& col : info.columns) cells.push_back(Cell(col, object, now));
    Json meta = object["metadata"];
    rows.push_back({{"cells", std::move(cells)},
                    {"object",
                     {{"kind", "PartialObjectMetadata"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", std::move(meta)}}}});
  }
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace brix::apiserver
