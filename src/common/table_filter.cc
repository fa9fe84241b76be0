#include "common/table_filter.h"

#include <fnmatch.h>

namespace brix {

Result<TableFilter> TableFilter::Parse(const std::vector<std::string>& rules) {
  TableFilter f;
  std::vector<std::string> all = rules;
  if (all.empty()) all.push_back("*.*");
  for (const auto& text : all) {
    Rule r;
    std::string_view body = text;
    if (!body.empty() && body.front() == '!') {
      r.exclude = true;
      body.remove_prefix(1);
    }
    size_t dot = body.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == body.size()) {
      return Status::InvalidArgument("--filter '" + text +
                                     "': a rule is db.table (wildcards * ? [...], ! to exclude)");
    }
    r.db = std::string(body.substr(0, dot));
    r.table = std::string(body.substr(dot + 1));
    for (const auto* part : {&r.db, &r.table}) {
      int depth = 0;
      for (char c : *part) {
        if (c == '[') ++depth;
        if (c == ']') --depth;
      }
      if (depth != 0) return Status::InvalidArgument("--filter '" + text + "': unbalanced [ ]");
    }
    f.rules_.push_back(std::move(r));
  }
  return f;
}

bool TableFilter::Matches(std::string_view db, std::string_view table) const {
  std::string d(db), t(table);
  bool matched = false;
  for (const auto& r : rules_) {  // last matching rule decides
    if (fnmatch(r.db.c_str(), d.c_str(), FNM_CASEFOLD) == 0 &&
        fnmatch(r.table.c_str(), t.c_str(), FNM_CASEFOLD) == 0) {
      matched = !r.exclude;
    }
  }
  return matched;
}

}  // namespace brix
