// Hand-written rather than std::chrono::parse (not in GCC 12's libstdc++) or strptime (it
// normalises 31 February into March and accepts any zone digits): the checks below are the point.
#include "common/timestamp.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <string>

#include "common/tso.h"

namespace brix {
namespace {

// The span of plausible times for digits: 2000-01-01 to 2100-01-01 UTC.
constexpr uint64_t kMinUnixSeconds = 946'684'800;
constexpr uint64_t kMaxUnixSeconds = 4'102'444'800;

constexpr char kAccepted[] =
    "accepted: 'YYYY-MM-DD HH:MM:SS' in UTC or with a zone such as +08:00, RFC 3339 such as "
    "2026-11-24T03:00:00Z, or digits — a TSO, Unix seconds or Unix milliseconds of a time "
    "between 2000 and 2100";

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Reads exactly `width` digits at `*pos`.
bool Digits(std::string_view s, size_t* pos, size_t width, int* out) {
  if (*pos + width > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += width;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// The reason digits are refused, or the timestamp they stand for.
Result<uint64_t> FromDigits(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("'" + std::string(text) + "' is too large for a timestamp");
  }
  if (v == 0) return uint64_t{0};
  if (v >= kMinUnixSeconds && v < kMaxUnixSeconds) return ComposeTs(v * 1000, 0);
  if (v >= kMinUnixSeconds * 1000 && v < kMaxUnixSeconds * 1000) return ComposeTs(v, 0);
  if (v >= ComposeTs(kMinUnixSeconds * 1000, 0) && v < ComposeTs(kMaxUnixSeconds * 1000, 0)) {
    return v;
  }
  return Status::InvalidArgument("'" + std::string(text) +
                                 "' is neither a TSO nor Unix seconds or milliseconds of a time "
                                 "between 2000 and 2100");
}

Result<uint64_t> FromText(std::string_view s) {
  auto bad = [&](std::string what) {
    return Status::InvalidArgument("'" + std::string(s) + "' " + what);
  };
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &month) ||
      !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &day)) {
    return bad("is not a timestamp");
  }
  if (pos >= s.size() || (s[pos] != ' ' && s[pos] != 'T' && s[pos] != 't')) {
    return bad("is not a timestamp (a date needs a time: 'YYYY-MM-DD HH:MM:SS')");
  }
  ++pos;
  if (!Digits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &minute) ||
      !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &second)) {
    return bad("is not a timestamp");
  }
  if (month < 1 || month > 12) return bad("has no month " + std::to_string(month));
  if (day < 1 || day > DaysInMonth(year, month)) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "is not a real date (%04d-%02d has %d days)", year, month,
                  DaysInMonth(year, month));
    return bad(buf);
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return bad("is not a time of day (hours 00–23, minutes and seconds 00–59)");
  }
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int seen = 0;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++seen) {
      if (seen < 3) millis = millis * 10 + (s[pos] - '0');
    }
    if (seen == 0) return bad("has a '.' without fraction digits");
    for (; seen < 3; ++seen) millis *= 10;
  }
  while (pos < s.size() && s[pos] == ' ') ++pos;
  std::string_view zone = s.substr(pos);
  int64_t offset_seconds = 0;
  if (zone.empty() || zone == "Z" || zone == "z" || zone == "UTC") {
    offset_seconds = 0;
  } else if (zone[0] == '+' || zone[0] == '-') {
    size_t z = 1;
    int hh = 0, mm = 0;
    bool ok = Digits(zone, &z, 2, &hh) && (zone.size() == 5 || Expect(zone, &z, ':')) &&
              Digits(zone, &z, 2, &mm) && z == zone.size();
    if (!ok || hh > 23 || mm > 59) {
      return bad("has no valid zone offset '" + std::string(zone) +
                 "' (+HH:MM or -HH:MM, hours 00–23, minutes 00–59)");
    }
    offset_seconds = (hh * 3600 + mm * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return bad("has an unknown zone '" + std::string(zone) + "' (Z, UTC, +HH:MM or -HH:MM)");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t unix_seconds = static_cast<int64_t>(timegm(&tm)) - offset_seconds;
  if (unix_seconds < 0) return bad("is before 1970");
  return ComposeTs(static_cast<uint64_t>(unix_seconds * 1000 + millis), 0);
}

}  // namespace

Result<uint64_t> ParseTimestamp(std::string_view text, std::string_view field) {
  bool digits = !text.empty();
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  Result<uint64_t> ts = text.empty() ? Status::InvalidArgument("'' is not a timestamp")
                        : digits     ? FromDigits(text)
                                     : FromText(text);
  if (ts.ok()) return ts;
  std::string message = field.empty() ? std::string() : std::string(field) + ": ";
  message += ts.status().message();
  message += " (";
  message += kAccepted;
  message += ")";
  return Status::InvalidArgument(message);
}

uint64_t TimestampOrZero(std::string_view text) {
  if (text.empty()) return 0;
  Result<uint64_t> ts = ParseTimestamp(text, "");
  return ts.ok() ? *ts : 0;
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
