#include "operator/api/go_time.h"

#include <cctype>
#include <cmath>
#include <ctime>

#include "common/timestamp.h"

namespace brix::api {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("time: invalid duration \"" + std::string(text) + "\"" +
                                   (why.empty() ? "" : " (" + std::string(why) + ")"));
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return bad("");
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double value = 0;
    bool digits = false;
    while (i < s.size() && IsDigit(s[i])) {
      value = value * 10 + (s[i] - '0');
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && IsDigit(s[i])) {
        value += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
        digits = true;
      }
    }
    if (!digits) return bad("");
    size_t unit_start = i;
    while (i < s.size() && !IsDigit(s[i]) && s[i] != '.') ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    long double ns_per_unit;
    if (unit == "ns") {
      ns_per_unit = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      ns_per_unit = 1e3L;
    } else if (unit == "ms") {
      ns_per_unit = 1e6L;
    } else if (unit == "s") {
      ns_per_unit = 1e9L;
    } else if (unit == "m") {
      ns_per_unit = 60e9L;
    } else if (unit == "h") {
      ns_per_unit = 3600e9L;
    } else if (unit.empty()) {
      return bad("missing unit");
    } else {
      return bad("unknown unit \"" + std::string(unit) + "\"; use ns, us, ms, s, m or h");
    }
    total += value * ns_per_unit;
    s.remove_prefix(i);
  }
  if (total > 9.2e18L) return bad("overflow");
  auto ns = static_cast<int64_t>(std::llround(static_cast<double>(total)));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  auto fraction = [](uint64_t v, uint64_t scale) {
    // Go prints the fractional part without trailing zeros.
    std::string out = std::to_string(v / scale);
    uint64_t rest = v % scale;
    if (rest != 0) {
      std::string frac = std::to_string(rest + scale).substr(1);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    return out;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000'000) return sign + fraction(u, 1000) + "\xC2\xB5s";
  if (u < 1000'000'000) return sign + fraction(u, 1000'000) + "ms";
  uint64_t hours = u / 3600'000'000'000ULL;
  uint64_t rest = u % 3600'000'000'000ULL;
  uint64_t minutes = rest / 60'000'000'000ULL;
  rest %= 60'000'000'000ULL;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += fraction(rest, 1000'000'000) + "s";
  return out;
}

}  // namespace brix::api
