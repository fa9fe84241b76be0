#include "operator/manager/spec_options.h"

#include "common/timestamp.h"
#include "operator/api/fields.h"
#include "operator/api/go_time.h"

namespace brix::manager {
namespace {

Result<uint64_t> ParseU64(const std::string& flag, const std::string& v) {
  try {
    size_t used = 0;
    uint64_t n = std::stoull(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  return Status::InvalidArgument("spec.br.options: " + flag + " needs a number, got \"" + v + "\"");
}

bool ParseBool(const std::string& v) { return v != "false" && v != "0"; }

}  // namespace

Status ApplyBackupSpec(const api::BackupSpec& spec, br::BackupOptions* o) {
  o->filter = FilterOf(spec);
  const api::BrConfig& br = spec.br;
  if (br.concurrency) o->concurrency = *br.concurrency;
  if (br.rate_limit) o->ratelimit_mib = *br.rate_limit;
  if (br.checksum) o->checksum = *br.checksum;
  if (br.send_cred_to_tikv) o->send_credentials = *br.send_cred_to_tikv;
  if (!br.time_ago.empty()) {
    BRIX_ASSIGN_OR_RETURN(auto d, api::ParseGoDuration(br.time_ago));
    o->time_ago = std::chrono::duration_cast<std::chrono::milliseconds>(d);
  }
  if (!spec.commit_ts.empty()) {
    BRIX_ASSIGN_OR_RETURN(
        o->backup_ts, ParseTimestamp(spec.commit_ts, api::field::SpecField(api::field::kCommitTs)));
  }
  // br.options last: they win (§1.1). "--flag=value" or "--flag value".
  const std::vector<std::string>& opts = br.options;
  for (size_t i = 0; i < opts.size(); ++i) {
    std::string flag = opts[i], value;
    if (size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < opts.size() && opts[i + 1].rfind("--", 0) != 0) {
      value = opts[++i];
    }
    if (flag == "--lastbackupts") {
      BRIX_ASSIGN_OR_RETURN(o->last_backup_ts, ParseTimestamp(value, "spec.br.options " + flag));
    } else if (flag == "--backupts") {
      BRIX_ASSIGN_OR_RETURN(o->backup_ts, ParseTimestamp(value, "spec.br.options " + flag));
    } else if (flag == "--concurrency") {
      BRIX_ASSIGN_OR_RETURN(uint64_t n, ParseU64(flag, value));
      o->concurrency = static_cast<int>(n);
    } else if (flag == "--ratelimit") {
      BRIX_ASSIGN_OR_RETURN(uint64_t n, ParseU64(flag, value));
      o->ratelimit_mib = static_cast<double>(n);
    } else if (flag == "--checksum") {
      o->checksum = value.empty() || ParseBool(value);
    } else if (flag == "--compression") {
      if (value != "zstd" && value != "lz4" && value != "none") {
        return Status::InvalidArgument("spec.br.options: --compression must be zstd, lz4 or none");
      }
      o->compression = value;
    } else if (flag == "--timeago") {
      BRIX_ASSIGN_OR_RETURN(auto d, api::ParseGoDuration(value));
      o->time_ago = std::chrono::duration_cast<std::chrono::milliseconds>(d);
    } else if (flag == "--send-credentials-to-tikv") {
      o->send_credentials = value.empty() || ParseBool(value);
    } else if (flag == "--log-level" || flag == "--status-addr" || flag == "--check-requirements") {
      // Accepted for compatibility; brix has no use for them.
    } else {
      return Status::InvalidArgument(
          "spec.br.options: brix does not know " + flag +
          " (known: --lastbackupts, --backupts, --concurrency, --ratelimit, --checksum, "
          "--compression, --timeago, --send-credentials-to-tikv)");
    }
  }
  return Status::OK();
}

}  // namespace brix::manager
