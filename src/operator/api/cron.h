// Cron schedules as BackupSchedule.spec.schedule takes them: robfig/cron's ParseStandard, which
// TiDB Operator uses. Five fields (minute hour day-of-month month day-of-week) with `*`, `?`,
// lists, ranges, steps and month/day names; the descriptors @yearly, @annually, @monthly,
// @weekly, @daily, @midnight, @hourly and `@every <Go duration>`; an optional `CRON_TZ=<zone>`
// or `TZ=<zone>` prefix.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace brix::api {

class CronSchedule {
 public:
  // InvalidArgument with robfig-like wording ("expected exactly 5 fields, found 3: ...",
  // "end of range (61) above maximum (59): 0-61") when `spec` is not a valid schedule.
  [[nodiscard]] static Result<CronSchedule> Parse(std::string_view spec);

  // The first activation strictly after `t`. Times are evaluated in UTC (the operator
  // evaluates them in its process's zone, which is UTC in its images); a CRON_TZ prefix is
  // validated and kept in time_zone() but not applied yet. nullopt if nothing matches within
  // five years (e.g. "0 0 30 2 *").
  std::optional<std::chrono::system_clock::time_point> Next(
      std::chrono::system_clock::time_point t) const;

  const std::string& time_zone() const { return time_zone_; }
  // Set for `@every`: activations are `t + every`, rounded up to whole seconds.
  std::optional<std::chrono::seconds> every() const { return every_; }

 private:
  uint64_t minute_ = 0, hour_ = 0, dom_ = 0, month_ = 0, dow_ = 0;
  bool dom_star_ = false, dow_star_ = false;
  std::optional<std::chrono::seconds> every_;
  std::string time_zone_;
};

}  // namespace brix::api
