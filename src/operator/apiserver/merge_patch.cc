#include "operator/apiserver/merge_patch.h"

#include <string>

namespace brix::apiserver {

namespace {

// The merge key of a list field in the Kubernetes types, or "" when the list is atomic.
std::string MergeKeyFor(const std::string& field) {
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" ||
      field == "env" || field == "volumes" || field == "imagePullSecrets" || field == "secrets") {
    return "name";
  }
  if (field == "volumeMounts") return "mountPath";
  if (field == "ports") return "containerPort";
  return "";
}

Result<Json> Smp(const Json& target, const Json& patch);

Result<Json> MergeList(const Json& target, const Json& patch, const std::string& key) {
  Json out = target.is_array() ? target : Json::array();
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(key)) {
      return Status::InvalidArgument("list item without merge key \"" + key + "\": " + item.dump());
    }
    const Json& k = item[key];
    auto found = out.end();
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (it->is_object() && it->contains(key) && (*it)[key] == k) found = it;
    }
    std::string directive = item.value("$patch", "");
    if (directive == "delete") {
      if (found != out.end()) out.erase(found);
      continue;
    }
    if (found == out.end()) {
      BRIX_ASSIGN_OR_RETURN(Json fresh, Smp(Json::object(), item));
      out.push_back(std::move(fresh));
    } else {
      BRIX_ASSIGN_OR_RETURN(*found, Smp(*found, item));
    }
  }
  return out;
}

// Orders `list` by `order` (a list of {key: value} objects or scalars); unnamed items go last.
Json ApplyOrder(const Json& list, const Json& order, const std::string& key) {
  if (!list.is_array() || !order.is_array()) return list;
  Json out = Json::array();
  std::vector<bool> used(list.size(), false);
  for (const auto& o : order) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (used[i]) continue;
      bool match = key.empty() ? list[i] == o
                               : (list[i].is_object() && o.is_object() && list[i].contains(key) &&
                                  o.contains(key) && list[i][key] == o[key]);
      if (match) {
        out.push_back(list[i]);
        used[i] = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (!used[i]) out.push_back(list[i]);
  }
  return out;
}

Result<Json> Smp(const Json& target, const Json& patch) {
  if (!patch.is_object()) return patch;
  std::string directive = patch.value("$patch", "");
  if (directive == "replace") {
    Json out = patch;
    out.erase("$patch");
    return out;
  }
  if (directive == "delete") return Json(nullptr);
  if (!directive.empty() && directive != "merge") {
    return Status::InvalidArgument("unknown $patch directive \"" + directive + "\"");
  }
  Json out = target.is_object() ? target : Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& name = it.key();
    if (name == "$patch" || name.starts_with("$setElementOrder/")) continue;
    if (name == "$retainKeys") {
      if (!it->is_array()) return Status::InvalidArgument("$retainKeys must be a list");
      Json kept = Json::object();
      for (const auto& k : *it) {
        if (k.is_string() && out.contains(k.get<std::string>())) {
          kept[k.get<std::string>()] = out[k.get<std::string>()];
        }
      }
      out = std::move(kept);
      continue;
    }
    if (name.starts_with("$deleteFromPrimitiveList/")) {
      std::string field = name.substr(std::string("$deleteFromPrimitiveList/").size());
      if (out.contains(field) && out[field].is_array() && it->is_array()) {
        Json kept = Json::array();
        for (const auto& v : out[field]) {
          bool drop = false;
          for (const auto& d : *it) drop = drop || d == v;
          if (!drop) kept.push_back(v);
        }
        out[field] = std::move(kept);
      }
      continue;
    }
    if (name.starts_with("$")) {
      return Status::InvalidArgument("unsupported strategic merge patch directive \"" + name +
                                     "\"");
    }
    if (it->is_null()) {
      out.erase(name);
      continue;
    }
    std::string key = MergeKeyFor(name);
    if (it->is_array() && !key.empty()) {
      BRIX_ASSIGN_OR_RETURN(out[name], MergeList(out.value(name, Json::array()), *it, key));
    } else if (it->is_object()) {
      BRIX_ASSIGN_OR_RETURN(Json merged, Smp(out.value(name, Json::object()), *it));
      if (merged.is_null()) {
        out.erase(name);
      } else {
        out[name] = std::move(merged);
      }
    } else {
      out[name] = *it;
    }
  }
  // Reorder merged lists as kubectl asked (it sends the full desired order).
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (!it.key().starts_with("$setElementOrder/")) continue;
    std::string field = it.key().substr(std::string("$setElementOrder/").size());
    if (out.contains(field)) out[field] = ApplyOrder(out[field], *it, MergeKeyFor(field));
  }
  return out;
}

}  // namespace

Json MergePatch(const Json& target, const Json& patch) {
  if (!patch.is_object()) return patch;
  Json out = target.is_object() ? target : Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it->is_null()) {
      out.erase(it.key());
    } else {
      out[it.key()] = MergePatch(out.value(it.key(), Json(nullptr)), *it);
    }
  }
  return out;
}

Result<Json> StrategicMergePatch(const Json& target, const Json& patch) {
  if (!patch.is_object()) return Status::InvalidArgument("a strategic merge patch is an object");
  return Smp(target, patch);
}

}  // namespace brix::apiserver
