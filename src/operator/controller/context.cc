#include "operator/controller/context.h"

#include "operator/api/job_kind.h"
#include "operator/api/storage_spec.h"
#include "operator/jobs/pod_template.h"
#include "storage/encryption_keys.h"

namespace brix::controller {

Result<std::string> ClusterPd(const Context& ctx, const std::string& object_ns,
                              const api::BrConfig& br) {
  if (br.cluster.empty()) return Status::InvalidArgument("spec.br.cluster is required");
  std::string ns = br.cluster_namespace.empty() ? object_ns : br.cluster_namespace;
  std::string key = ns + "/" + br.cluster;
  auto it = ctx.options.clusters.find(key);
  if (it == ctx.options.clusters.end()) {
    return Status::NotFound("cluster " + key +
                            " is not known to brixd (start brixd with --cluster " + key +
                            "=<kvpd address>)");
  }
  return it->second;
}

Result<JobState> GetJob(const Context& ctx, const std::string& ns, const std::string& name) {
  JobState state;
  auto job = ctx.client->Get(client::Jobs(), ns, name);
  if (!job.ok()) {
    if (job.status().IsNotFound()) return state;
    return job.status();
  }
  state.job = *job;
  state.phase = JobPhase::kRunning;
  if (job->contains("metadata")) {
    for (const auto& ref : (*job)["metadata"].value("ownerReferences", Json::array())) {
      if (ref.value("controller", false)) state.owner_uid = ref.value("uid", "");
    }
  }
  if (job->contains("status") && (*job)["status"].contains("conditions")) {
    for (const auto& c : (*job)["status"]["conditions"]) {
      if (c.value("status", "") != "True") continue;
      if (c.value("type", "") == "Complete") state.phase = JobPhase::kComplete;
      if (c.value("type", "") == "Failed") {
        state.phase = JobPhase::kFailed;
        state.message = c.value("message", "");
      }
    }
  }
  return state;
}

std::string JobKindOf(const std::vector<std::string>& args) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--subcommand") return args[i + 1];
  }
  return args.empty() ? "" : args[0];
}

Json JobRoleRules() {
  return Json::array(
      {{{"apiGroups", {""}}, {"resources", {"events"}}, {"verbs", {"create"}}},
       {{"apiGroups", {api::kBrGroup}},
        {"resources", {"backups", "restores", "compactbackups"}},
        {"verbs", {"get"}}},
       {{"apiGroups", {api::kBrGroup}},
        {"resources", {"backups/status", "restores/status", "compactbackups/status"}},
        {"verbs", {"update"}}}});
}

Status EnsureJobAccount(const Context& ctx, const std::string& ns) {
  const std::string name = api::kDefaultJobServiceAccount;
  Json labels = {{"app.kubernetes.io/managed-by", "brix"},
                 {"app.kubernetes.io/component", "brix-job"}};
  Json meta = {{"name", name}, {"namespace", ns}, {"labels", labels}};
  const std::vector<std::pair<const api::ResourceInfo*, Json>> objects = {
      {&client::ServiceAccounts(),
       {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", meta}}},
      {&client::Roles(),
       {{"apiVersion", "rbac.authorization.k8s.io/v1"},
        {"kind", "Role"},
        {"metadata", meta},
        {"rules", JobRoleRules()}}},
      {&client::RoleBindings(),
       {{"apiVersion", "rbac.authorization.k8s.io/v1"},
        {"kind", "RoleBinding"},
        {"metadata", meta},
        {"subjects",
         Json::array({{{"kind", "ServiceAccount"}, {"name", name}, {"namespace", ns}}})},
        {"roleRef",
         {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", name}}}}},
  };
  for (const auto& [info, object] : objects) {
    auto existing = ctx.client->Get(*info, ns, name);
    if (existing.ok()) continue;
    if (!existing.status().IsNotFound()) return existing.status();
    auto created = ctx.client->Create(*info, ns, object);
    if (!created.ok() && !created.status().IsAlreadyExists()) {
      return created.status().WithContext("the default job account " + ns + "/" + name);
    }
  }
  return Status::OK();
}

Result<std::map<std::string, std::string>> ParseClusterFlags(
    const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (const auto& c : flags) {
    size_t eq = c.find('=');
    size_t slash = c.find('/');
    if (eq == std::string::npos || slash == std::string::npos || slash > eq || slash == 0 ||
        slash + 1 == eq || eq + 1 == c.size()) {
      return Status::InvalidArgument("--cluster wants NAMESPACE/NAME=KVPD_ADDRESSES, got " + c);
    }
    out[c.substr(0, eq)] = c.substr(eq + 1);
  }
  return out;
}

Status CreateJob(const Context& ctx, const api::ResourceInfo& owner_info, const Json& owner,
                 const JobRequest& r) {
  std::string ns = client::NamespaceOf(owner);
  std::string service_account =
      owner.value(Json::json_pointer("/spec/serviceAccount"), std::string());
  if (service_account.empty()) {
    BRIX_RETURN_IF_ERROR(EnsureJobAccount(ctx, ns));
    service_account = api::kDefaultJobServiceAccount;
  }
  std::string instance = owner["metadata"]
                             .value("labels", Json::object())
                             .value("app.kubernetes.io/instance", client::NameOf(owner));
  std::string name_label = r.component == "clean" ? "backup" : r.component;
  Json labels = {{"app.kubernetes.io/name", name_label},
                 {"app.kubernetes.io/managed-by", name_label + "-operator"},
                 {"app.kubernetes.io/instance", instance},
                 {"app.kubernetes.io/component", r.component}};
  for (const auto& [k, v] : r.labels) labels[k] = v;
  // CR labels come after the operator's: the first writer wins.
  Json own_labels = owner["metadata"].value("labels", Json::object());
  for (const auto& [k, v] : own_labels.items()) {
    if (!labels.contains(k)) labels[k] = v;
  }
  Json env = Json::array();
  for (const auto& [k, v] : r.env) env.push_back({{"name", k}, {"value", v}});
  if (!r.secret_name.empty()) {
    for (const auto& key : api::AzureSecretKeys()) {
      env.push_back(
          {{"name", key},
           {"valueFrom",
            {{"secretKeyRef", {{"name", r.secret_name}, {"key", key}, {"optional", true}}}}}});
    }
  }
  // The master key: required, so a missing Secret or key fails the job naming both (the key
  // itself stays in the Secret; the Job carries only the reference).
  if (auto enc = api::EncryptionOf(owner.value("spec", Json::object()))) {
    env.push_back({{"name", storage::kEncryptionKeyEnv},
                   {"valueFrom",
                    {{"secretKeyRef",
                      {{"name", enc->secret_name},
                       {"key", storage::kEncryptionKeyEnv},
                       {"optional", false}}}}}});
  }
  Json args = r.args;
  Json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", r.name},
        {"namespace", ns},
        {"labels", labels},
        {"annotations", {{api::kJobKindAnnotation, JobKindOf(r.args)}}},
        {"ownerReferences", Json::array({{{"apiVersion", owner_info.group_version()},
                                          {"kind", owner_info.kind},
                                          {"name", client::NameOf(owner)},
                                          {"uid", client::UidOf(owner)},
                                          {"controller", true},
                                          {"blockOwnerDeletion", true}}})}}},
      {"spec",
       {{"backoffLimit", r.backoff_limit},
        {"completions", 1},
        {"parallelism", 1},
        {"template",
         {{"metadata", {{"labels", labels}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"serviceAccountName", service_account},
            {"containers",
             Json::array(
                 {{{"name", r.component == "compactbackup" ? "backup-manager" : r.component},
                   {"image", ctx.options.job_image.empty() ? std::string(jobs::kBrixImage)
                                                           : ctx.options.job_image},
                   {"command", Json::array({"brix", "manager"})},
                   {"args", args},
                   {"env", env}}})}}}}}}},
  };
  // The CR's env, resources, tolerations, ... as TiDB Operator puts them on its job pods.
  jobs::ApplyPodFields(owner.value("spec", Json::object()), &job["spec"]["template"]);
  auto created = ctx.client->Create(client::Jobs(), ns, job);
  if (!created.ok() && !created.status().IsAlreadyExists()) return created.status();
  return Status::OK();
}

bool HasFinalizer(const Json& object, const std::string& finalizer) {
  for (const auto& f : object["metadata"].value("finalizers", Json::array())) {
    if (f == finalizer) return true;
  }
  return false;
}

bool BeingDeleted(const Json& object) {
  return object["metadata"].contains("deletionTimestamp") &&
         !object["metadata"]["deletionTimestamp"].is_null();
}

}  // namespace brix::controller
