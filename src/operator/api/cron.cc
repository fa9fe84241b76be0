#include "operator/api/cron.h"

#include <ctime>
#include <filesystem>
#include <vector>

#include "operator/api/go_time.h"

namespace brix::api {

namespace {

struct Bounds {
  int min;
  int max;
  const char* const* names;  // lowercase names for min..max, or nullptr
};

const char* const kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDowNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr Bounds kMinute{0, 59, nullptr};
constexpr Bounds kHour{0, 23, nullptr};
constexpr Bounds kDom{1, 31, nullptr};
constexpr Bounds kMonth{1, 12, kMonthNames};
constexpr Bounds kDow{0, 6, kDowNames};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<int> ParseValue(std::string_view text, const Bounds& b) {
  if (b.names != nullptr) {
    std::string lower = Lower(text);
    for (int i = 0; i <= b.max - b.min; ++i) {
      if (lower == b.names[i]) return b.min + i;
    }
  }
  if (text.empty() || text.size() > 9) {
    return Status::InvalidArgument("failed to parse int from \"" + std::string(text) + "\"");
  }
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("failed to parse int from \"" + std::string(text) + "\"");
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

// One comma-separated term: `*`, `?`, `N`, `N-M`, each optionally `/step`.
Status ParseTerm(std::string_view term, const Bounds& b, uint64_t* bits, bool* star) {
  auto range_and_step = Split(term, '/');
  if (range_and_step.size() > 2) {
    return Status::InvalidArgument("too many slashes: \"" + std::string(term) + "\"");
  }
  auto low_high = Split(range_and_step[0], '-');
  if (low_high.size() > 2) {
    return Status::InvalidArgument("too many hyphens: \"" + std::string(term) + "\"");
  }
  int start, end, step = 1;
  bool is_star = false;
  if (low_high[0] == "*" || low_high[0] == "?") {
    if (low_high.size() == 2) {
      return Status::InvalidArgument("\"*\" cannot be a range start: \"" + std::string(term) +
                                     "\"");
    }
    start = b.min;
    end = b.max;
    is_star = true;
  } else {
    BRIX_ASSIGN_OR_RETURN(start, ParseValue(low_high[0], b));
    if (low_high.size() == 2) {
      BRIX_ASSIGN_OR_RETURN(end, ParseValue(low_high[1], b));
    } else {
      end = start;
    }
  }
  if (range_and_step.size() == 2) {
    BRIX_ASSIGN_OR_RETURN(step, ParseValue(range_and_step[1], Bounds{0, 0, nullptr}));
    // robfig: "N/step" means N through the maximum.
    if (low_high.size() == 1 && !is_star) end = b.max;
    is_star = false;
  }
  if (start < b.min) {
    return Status::InvalidArgument("beginning of range (" + std::to_string(start) +
                                   ") below minimum (" + std::to_string(b.min) + "): \"" +
                                   std::string(term) + "\"");
  }
  if (end > b.max) {
    return Status::InvalidArgument("end of range (" + std::to_string(end) + ") above maximum (" +
                                   std::to_string(b.max) + "): \"" + std::string(term) + "\"");
  }
  if (start > end) {
    return Status::InvalidArgument("beginning of range (" + std::to_string(start) +
                                   ") beyond end of range (" + std::to_string(end) + "): \"" +
                                   std::string(term) + "\"");
  }
  if (step == 0) {
    return Status::InvalidArgument("step of range should be a positive number: \"" +
                                   std::string(term) + "\"");
  }
  for (int v = start; v <= end; v += step) *bits |= uint64_t{1} << v;
  if (is_star) *star = true;
  return Status::OK();
}

Status ParseField(std::string_view field, const Bounds& b, const char* name, uint64_t* bits,
                  bool* star = nullptr) {
  bool star_local = false;
  for (std::string_view term : Split(field, ',')) {
    Status s = ParseTerm(term, b, bits, &star_local);
    if (!s.ok()) return Status::InvalidArgument(std::string(name) + " field: " + s.message());
  }
  if (star != nullptr) *star = star_local;
  return Status::OK();
}

bool ValidZone(std::string_view zone) {
  if (zone == "UTC" || zone == "Local") return true;
  if (zone.empty() || zone.find("..") != std::string_view::npos || zone[0] == '/') return false;
  std::error_code ec;
  return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + std::string(zone), ec);
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view spec_in) {
  std::string_view spec = spec_in;
  while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
  if (spec.empty()) return Status::InvalidArgument("empty spec string");
  CronSchedule c;
  if (spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=")) {
    size_t eq = spec.find('=');
    size_t space = spec.find(' ');
    if (space == std::string_view::npos) {
      return Status::InvalidArgument("missing schedule after time zone \"" + std::string(spec) +
                                     "\"");
    }
    std::string_view zone = spec.substr(eq + 1, space - eq - 1);
    if (!ValidZone(zone)) {
      return Status::InvalidArgument("provided bad location " + std::string(zone) +
                                     ": unknown time zone " + std::string(zone));
    }
    c.time_zone_ = std::string(zone);
    spec.remove_prefix(space + 1);
    while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  }
  if (spec.starts_with("@")) {
    std::string d = Lower(spec);
    const char* fields = nullptr;
    if (d == "@yearly" || d == "@annually") {
      fields = "0 0 1 1 *";
    } else if (d == "@monthly") {
      fields = "0 0 1 * *";
    } else if (d == "@weekly") {
      fields = "0 0 * * 0";
    } else if (d == "@daily" || d == "@midnight") {
      fields = "0 0 * * *";
    } else if (d == "@hourly") {
      fields = "0 * * * *";
    } else if (d.starts_with("@every ")) {
      auto duration = ParseGoDuration(spec.substr(7));
      if (!duration.ok()) {
        return Status::InvalidArgument("failed to parse duration " + std::string(spec) + ": " +
                                       duration.status().message());
      }
      if (duration->count() <= 0) {
        return Status::InvalidArgument("@every needs a positive duration: " + std::string(spec));
      }
      auto secs = std::chrono::ceil<std::chrono::seconds>(*duration);
      c.every_ = secs;
      return c;
    } else {
      return Status::InvalidArgument("unrecognized descriptor: " + std::string(spec));
    }
    auto parsed = Parse(fields);
    if (!parsed.ok()) return parsed.status();
    parsed->time_zone_ = c.time_zone_;
    return parsed;
  }
  std::vector<std::string_view> fields;
  for (std::string_view f : Split(spec, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  if (fields.size() != 5) {
    return Status::InvalidArgument("expected exactly 5 fields, found " +
                                   std::to_string(fields.size()) + ": [" + std::string(spec) + "]");
  }
  BRIX_RETURN_IF_ERROR(ParseField(fields[0], kMinute, "minute", &c.minute_));
  BRIX_RETURN_IF_ERROR(ParseField(fields[1], kHour, "hour", &c.hour_));
  BRIX_RETURN_IF_ERROR(ParseField(fields[2], kDom, "day-of-month", &c.dom_, &c.dom_star_));
  BRIX_RETURN_IF_ERROR(ParseField(fields[3], kMonth, "month", &c.month_));
  BRIX_RETURN_IF_ERROR(ParseField(fields[4], kDow, "day-of-week", &c.dow_, &c.dow_star_));
  return c;
}

std::optional<std::chrono::system_clock::time_point> CronSchedule::Next(
    std::chrono::system_clock::time_point t) const {
  using namespace std::chrono;
  if (every_) return time_point_cast<seconds>(t) + *every_;
  // Start at the next whole minute and move forward field by field (robfig's algorithm).
  std::time_t secs = system_clock::to_time_t(t) / 60 * 60 + 60;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const int year_limit = tm.tm_year + 5;
  auto normalize = [&tm] {
    std::time_t s = timegm(&tm);
    gmtime_r(&s, &tm);
  };
  auto day_matches = [&] {
    bool dom = (dom_ >> tm.tm_mday) & 1;
    bool dow = (dow_ >> tm.tm_wday) & 1;
    return (dom_star_ || dow_star_) ? (dom && dow) : (dom || dow);
  };
  while (tm.tm_year <= year_limit) {
    if (!((month_ >> (tm.tm_mon + 1)) & 1)) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = 0;
      tm.tm_min = 0;
      normalize();
      continue;
    }
    if (!day_matches()) {
      tm.tm_mday += 1;
      tm.tm_hour = 0;
      tm.tm_min = 0;
      normalize();
      continue;
    }
    if (!((hour_ >> tm.tm_hour) & 1)) {
      tm.tm_hour += 1;
      tm.tm_min = 0;
      normalize();
      continue;
    }
    if (!((minute_ >> tm.tm_min) & 1)) {
      tm.tm_min += 1;
      normalize();
      continue;
    }
    return system_clock::from_time_t(timegm(&tm));
  }
  return std::nullopt;
}

}  // namespace brix::api
