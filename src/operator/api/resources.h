// The resources brixd serves: the four backup CRs of br.pingcap.com/v1alpha1 and the built-in
// kinds the seed and the controllers use (Secret, Event, ServiceAccount, Job, Role,
// RoleBinding, and the cluster-scoped ClusterRole and ClusterRoleBinding), plus what deploy/
// applies (the cluster-scoped Namespace; apps/v1 Deployment, stored and never run). Discovery,
// the OpenAPI stub, Table printing, validation and the CRDs (crd.h) are all generated from this
// one table.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "operator/api/schema.h"

namespace brix::api {

inline constexpr char kBrGroup[] = "br.pingcap.com";
inline constexpr char kBrVersion[] = "v1alpha1";

// One column of `kubectl get` (a CRD's additionalPrinterColumns entry). `type` is string,
// integer, number, boolean or date; date cells are printed as ages ("5m").
struct PrinterColumn {
  std::string name;
  std::string type;
  std::string json_path;  // ".spec.backupType"; empty when `compute` is set
  int priority = 0;       // >0: only with -o wide
  std::string description;
  // A computed cell (built-in kinds, e.g. a Job's "succeeded/completions"); returns the
  // cell's JSON value (null for an empty cell).
  std::function<Json(const Json& object)> compute;
};

struct ResourceInfo {
  std::string group;  // "" for core
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::vector<std::string> short_names;
  bool namespaced = true;
  bool has_status = false;  // serves <plural>/status; writes to the main resource keep .status
  bool custom = false;      // a CR: patched by JSON merge patch, validated by `schema`
  std::vector<PrinterColumn> columns;  // after NAME
  SchemaPtr schema;                    // whole object (apiVersion, kind, metadata, spec, status)

  std::string group_version() const { return group.empty() ? version : group + "/" + version; }
  std::string list_kind() const { return kind + "List"; }
  // "backups.br.pingcap.com" or "secrets": how Kubernetes names the resource in messages.
  std::string qualified_name() const { return group.empty() ? plural : plural + "." + group; }
};

// Every served resource, in a stable order.
const std::vector<ResourceInfo>& AllResources();
// nullptr when not served.
const ResourceInfo* FindResource(const std::string& group, const std::string& version,
                                 const std::string& plural);

// The spec schemas, also used by BackupSchedule templates (exposed for tests).
SchemaPtr BackupSpecSchema();
SchemaPtr CompactSpecSchema();

}  // namespace brix::api
