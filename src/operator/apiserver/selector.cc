#include "operator/apiserver/selector.h"

#include <algorithm>

namespace brix::apiserver {

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitTerms(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string current;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(Trim(current));
  return out;
}

bool ValidLabelKey(const std::string& key) {
  if (key.empty() || key.size() > 316) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

std::string StringAt(const Json& object, const std::string& path) {
  const Json* cur = &object;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return "";
    cur = &(*cur)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_null()) return "";
  return cur->dump();
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  for (const std::string& term : SplitTerms(text)) {
    auto bad = [&](std::string why) {
      return Status::InvalidArgument("unable to parse requirement \"" + term + "\": " + why);
    };
    if (term.empty()) return bad("empty requirement");
    Requirement req;
    size_t space = term.find(' ');
    size_t paren = term.find('(');
    if (paren != std::string::npos && space != std::string::npos && space < paren) {
      req.key = term.substr(0, space);
      std::string rest = Trim(std::string_view(term).substr(space));
      if (rest.starts_with("notin")) {
        req.op = Requirement::Op::kNotIn;
        rest = Trim(std::string_view(rest).substr(5));
      } else if (rest.starts_with("in")) {
        req.op = Requirement::Op::kIn;
        rest = Trim(std::string_view(rest).substr(2));
      } else {
        return bad("expected \"in\" or \"notin\"");
      }
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
        return bad("expected a parenthesised list of values");
      }
      for (const std::string& v : SplitTerms(std::string_view(rest).substr(1, rest.size() - 2))) {
        req.values.push_back(v);
      }
    } else if (term.starts_with("!")) {
      req.key = Trim(std::string_view(term).substr(1));
      req.op = Requirement::Op::kNotExists;
    } else if (size_t ne = term.find("!="); ne != std::string::npos) {
      req.key = Trim(std::string_view(term).substr(0, ne));
      req.op = Requirement::Op::kNotEquals;
      req.values = {Trim(std::string_view(term).substr(ne + 2))};
    } else if (size_t eq = term.find('='); eq != std::string::npos) {
      req.key = Trim(std::string_view(term).substr(0, eq));
      req.op = Requirement::Op::kEquals;
      size_t skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
      req.values = {Trim(std::string_view(term).substr(eq + skip))};
    } else {
      req.key = term;
      req.op = Requirement::Op::kExists;
    }
    if (!ValidLabelKey(req.key)) return bad("invalid label key \"" + req.key + "\"");
    sel.requirements_.push_back(std::move(req));
  }
  return sel;
}

bool LabelSelector::Matches(const Json& labels) const {
  for (const auto& r : requirements_) {
    bool has = labels.is_object() && labels.contains(r.key) && labels[r.key].is_string();
    std::string value = has ? labels[r.key].get<std::string>() : "";
    bool in = std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    bool ok = false;
    switch (r.op) {
      case Requirement::Op::kEquals:
      case Requirement::Op::kIn:
        ok = has && in;
        break;
      case Requirement::Op::kNotEquals:
      case Requirement::Op::kNotIn:
        ok = !has || !in;
        break;
      case Requirement::Op::kExists:
        ok = has;
        break;
      case Requirement::Op::kNotExists:
        ok = !has;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

Result<FieldSelector> FieldSelector::Parse(std::string_view text,
                                           const std::vector<std::string>& supported) {
  FieldSelector sel;
  if (Trim(text).empty()) return sel;
  for (const std::string& term : SplitTerms(text)) {
    Term t;
    size_t ne = term.find("!=");
    size_t eq = term.find('=');
    if (ne != std::string::npos) {
      t.path = Trim(std::string_view(term).substr(0, ne));
      t.negate = true;
      t.value = Trim(std::string_view(term).substr(ne + 2));
    } else if (eq != std::string::npos) {
      t.path = Trim(std::string_view(term).substr(0, eq));
      t.negate = false;
      size_t skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
      t.value = Trim(std::string_view(term).substr(eq + skip));
    } else {
      return Status::InvalidArgument("invalid selector: '" + term + "'; can't understand '" + term +
                                     "'");
    }
    if (std::find(supported.begin(), supported.end(), t.path) == supported.end()) {
      return Status::InvalidArgument("field label not supported: " + t.path);
    }
    sel.terms_.push_back(std::move(t));
  }
  return sel;
}

bool FieldSelector::Matches(const Json& object) const {
  for (const auto& t : terms_) {
    bool equal = StringAt(object, t.path) == t.value;
    if (equal == t.negate) return false;
  }
  return true;
}

}  // namespace brix::apiserver
