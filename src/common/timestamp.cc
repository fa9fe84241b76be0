#include "common/timestamp.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "common/tso.h"

namespace brix {

Result<uint64_t> ParseTimestamp(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return Status::InvalidArgument(
        std::string(field) + ": '" + std::string(text) +
        "' is not a timestamp (accepted: a TSO number, "
        "'YYYY-MM-DD HH:MM:SS' in UTC or with a +HH:MM zone, or RFC 3339)");
  };
  if (text.empty()) return bad();
  bool digits = true;
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (text.size() > 20) return bad();
    errno = 0;
    unsigned long long v = std::strtoull(std::string(text).c_str(), nullptr, 10);
    if (errno == ERANGE) return bad();
    return static_cast<uint64_t>(v);
  }
  std::string s(text);
  std::tm tm{};
  int consumed = 0;
  char sep = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &sep, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 7 ||
      (sep != ' ' && sep != 'T' && sep != 't')) {
    return bad();
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return bad();
  }
  size_t pos = static_cast<size_t>(consumed);
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits_seen = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits_seen < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits_seen;
      ++pos;
    }
    for (; digits_seen < 3; ++digits_seen) millis *= 10;
  }
  while (pos < s.size() && s[pos] == ' ') ++pos;
  int64_t offset_seconds = 0;
  std::string zone = s.substr(pos);
  if (zone.empty() || zone == "Z" || zone == "z" || zone == "UTC") {
    offset_seconds = 0;
  } else if ((zone[0] == '+' || zone[0] == '-') && (zone.size() == 6 || zone.size() == 5)) {
    int hh = 0, mm = 0;
    if (zone.size() == 6 && std::sscanf(zone.c_str() + 1, "%2d:%2d", &hh, &mm) != 2) return bad();
    if (zone.size() == 5 && std::sscanf(zone.c_str() + 1, "%2d%2d", &hh, &mm) != 2) return bad();
    offset_seconds = (hh * 3600 + mm * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return bad();
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t unix_seconds = static_cast<int64_t>(timegm(&tm)) - offset_seconds;
  if (unix_seconds < 0) return bad();
  return ComposeTs(static_cast<uint64_t>(unix_seconds * 1000 + millis), 0);
}

std::string FormatTso(uint64_t ts) {
  int64_t ms = static_cast<int64_t>(TsPhysicalMs(ts));
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace brix
