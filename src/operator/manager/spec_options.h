// What a Backup or Restore spec asks of the engine: the table filter, the options a restore and
// a PITR share, and a Backup's br.* and br.options (BR's flags, which win over the fields). The
// one translation from CR fields to br:: options, used by `brix manager` and its tests.
#pragma once

#include <string>
#include <vector>

#include "br/engine.h"
#include "common/env.h"
#include "operator/api/types.h"

namespace brix::manager {

// The table filter of a Backup or Restore spec: tableFilter, else what backupType and br say.
template <typename Spec>
std::vector<std::string> FilterOf(const Spec& spec) {
  std::vector<std::string> filter = spec.table_filter;
  if (!filter.empty()) return filter;
  if (spec.backup_type == api::value::kDb) filter.push_back(spec.br.db + ".*");
  if (spec.backup_type == api::value::kTable) filter.push_back(spec.br.db + "." + spec.br.table);
  return filter;
}

// What a snapshot restore and a PITR take alike from a Restore spec (br::RestoreOptions and
// br::PitrOptions share these members).
template <typename Options>
void SetRestoreCommon(const api::RestoreSpec& spec, const std::string& pd, const EnvLookup& env,
                      Options* o) {
  o->pd = pd;
  o->env = env;
  o->filter = FilterOf(spec);
  if (spec.br.concurrency) o->concurrency = *spec.br.concurrency;
  if (spec.br.send_cred_to_tikv) o->send_credentials = *spec.br.send_cred_to_tikv;
}

// The engine options a Backup spec asks for: backupType/tableFilter, br.* and br.options
// (--lastbackupts, --backupts, --compression, --checksum, --concurrency, --ratelimit,
// --timeago). InvalidArgument naming an option brix does not know.
[[nodiscard]] Status ApplyBackupSpec(const api::BackupSpec& spec, br::BackupOptions* options);

}  // namespace brix::manager
