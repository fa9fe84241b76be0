// What a Backup, Restore or CompactBackup spec's pod fields become in its batch/v1 Job's pod
// template, as TiDB Operator builds its job pods (docs/controllers.md, "Pod fields"), and which
// of them brixd's local job runner cannot honour.
//
// ApplyPodFields carries, into `pod_template` (the Job's spec.template, whose spec has the one
// container the controllers made):
//   spec.env                     → the container's env: added, and a same-named variable the
//                                  controller set (AZURE_* secretKeyRefs, ...) is replaced
//   spec.br.logLevel             → env api::kJobLogLevelEnv (the level `brix` logs at), before
//                                  spec.env, which may override it
//   spec.resources               → the container's resources
//   spec.toolImage               → the container's image (brix has one image: tool and manager)
//   spec.additionalVolumeMounts  → the container's volumeMounts
//   spec.tolerations, affinity, priorityClassName, imagePullSecrets, automountServiceAccountToken
//                                → the pod spec's fields of those names
//   spec.podSecurityContext      → the pod spec's securityContext
//   spec.additionalVolumes       → the pod spec's volumes
// spec.serviceAccount is the Job's serviceAccountName (controller::CreateJob sets it; the local
// runner runs the job as that account). The runner's own variables (PATH, HOME, BRIX_API_*, its
// fixed job_env) stay protected: a Job that sets one is refused at launch (BuildJobEnv).
//
// KubernetesOnlyFields names ("spec.tolerations", ...) the fields a Job's pod template carries
// that only a Kubernetes cluster applies; the local runner says so in an Event on the CR.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace brix::jobs {

using Json = nlohmann::json;

// The image the controllers put in a job's container (what the local runner runs as "brix").
inline constexpr char kBrixImage[] = "brix";
// `brix operator`'s default --job-image: the brix image of this version (deploy/Containerfile).
inline constexpr char kDefaultJobImage[] = "brix:0.1";
// Whether `image` is the brix image in any tag or registry ("brix", "brix:0.1",
// "registry.example/brix:0.1"): the local runner runs its own brix for it, so it is not a
// Kubernetes-only field; any other image (a toolImage) is.
bool IsBrixImage(const std::string& image);
// The reason of the Event that names the fields the local runner does not apply.
inline constexpr char kKubernetesOnlyReason[] = "KubernetesOnlyFields";

void ApplyPodFields(const Json& spec, Json* pod_template);

// `job` is a batch/v1 Job; in the order of the table above.
std::vector<std::string> KubernetesOnlyFields(const Json& job);

}  // namespace brix::jobs
