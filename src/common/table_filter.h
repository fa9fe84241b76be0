// TiDB's table-filter syntax (docs/backup.md): each rule is `db.table` with the wildcards `*` (any
// run), `?` (one character) and `[...]` (a character class), matched case-insensitively on the
// database and table parts separately; a rule starting with `!` excludes. When several rules
// match a table the last one listed decides; a table no rule matches is left out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace brix {

class TableFilter {
 public:
  // `rules` empty means "every table" (`*.*`). Bad rules are refused with the rule named.
  [[nodiscard]] static Result<TableFilter> Parse(const std::vector<std::string>& rules);
  bool Matches(std::string_view db, std::string_view table) const;

 private:
  struct Rule {
    bool exclude = false;
    std::string db, table;
  };
  std::vector<Rule> rules_;
};

}  // namespace brix
