// Label and field selectors of list and watch requests (`-l`, `--field-selector`, and the
// `fieldSelector=metadata.name=X` that `kubectl delete` uses to wait).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace brix::apiserver {

using Json = nlohmann::json;

// `app=x,tier!=db,env in (a,b),zone notin (z),canary,!legacy` (with `==` as a synonym of `=`).
// An empty selector matches everything.
class LabelSelector {
 public:
  // InvalidArgument naming the bad term.
  [[nodiscard]] static Result<LabelSelector> Parse(std::string_view text);
  // `labels` is metadata.labels (an object, or null when absent).
  bool Matches(const Json& labels) const;
  bool empty() const { return requirements_.empty(); }

 private:
  struct Requirement {
    enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

// `metadata.name=x,metadata.namespace!=y`; the fields are dotted paths into the object.
class FieldSelector {
 public:
  // InvalidArgument for a malformed term or a field outside `supported` ("field label not
  // supported: spec.x").
  [[nodiscard]] static Result<FieldSelector> Parse(std::string_view text,
                                                   const std::vector<std::string>& supported);
  bool Matches(const Json& object) const;

 private:
  struct Term {
    std::string path;
    bool negate;
    std::string value;
  };
  std::vector<Term> terms_;
};

}  // namespace brix::apiserver
