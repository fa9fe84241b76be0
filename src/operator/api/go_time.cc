#include "operator/api/go_time.h"

#include <cctype>
#include <cmath>
#include <ctime>

namespace brix::api {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at text[*pos] into *out.
bool ReadDigits(std::string_view text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

bool ValidCivil(const std::tm& tm) {
  return tm.tm_mon >= 1 && tm.tm_mon <= 12 && tm.tm_mday >= 1 && tm.tm_mday <= 31 &&
         tm.tm_hour <= 23 && tm.tm_min <= 59 && tm.tm_sec <= 60;
}

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

Result<uint64_t> ParseTsString(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("\"" + std::string(text) +
                                   "\" is not a TSO, a \"YYYY-MM-DD HH:MM:SS\" time or an "
                                   "RFC 3339 time such as \"2022-10-10T15:21:00+08:00\"");
  };
  if (text.empty()) return bad();
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    if (text.size() > 20) return bad();
    unsigned long long v = 0;
    for (char c : text) {
      unsigned long long next = v * 10 + (c - '0');
      if (next / 10 != v) return bad();  // overflow
      v = next;
    }
    return static_cast<uint64_t>(v);
  }
  std::tm tm{};
  size_t pos = 0;
  if (!ReadDigits(text, &pos, 4, &tm.tm_year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &tm.tm_mon) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &tm.tm_mday)) {
    return bad();
  }
  if (pos >= text.size() || (text[pos] != ' ' && text[pos] != 'T' && text[pos] != 't')) {
    return bad();
  }
  bool local_layout = text[pos] == ' ';
  ++pos;
  if (!ReadDigits(text, &pos, 2, &tm.tm_hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &tm.tm_min) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &tm.tm_sec) || !ValidCivil(tm)) {
    return bad();
  }
  int64_t millis_fraction = 0;
  if (!local_layout && pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      millis_fraction += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t seconds;
  if (local_layout) {
    if (pos != text.size()) return bad();
    tm.tm_isdst = -1;
    seconds = static_cast<int64_t>(mktime(&tm));
  } else {
    int64_t offset = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
      ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int oh = 0, om = 0;
      if (!ReadDigits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') ||
          !ReadDigits(text, &pos, 2, &om) || oh > 23 || om > 59) {
        return bad();
      }
      offset = sign * (oh * 3600 + om * 60);
    } else {
      return bad();
    }
    if (pos != text.size()) return bad();
    seconds = static_cast<int64_t>(timegm(&tm)) - offset;
  }
  if (seconds < 0) return bad();
  return TsoFromUnixMillis(seconds * 1000 + millis_fraction);
}

}  // namespace brix::api
