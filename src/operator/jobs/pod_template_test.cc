// What a CR's pod fields become in its Job's pod template, and which ones the local runner
// names as applying only on Kubernetes.
#include "operator/jobs/pod_template.h"

#include <gtest/gtest.h>

#include "operator/api/job_kind.h"
#include "operator/jobs/job_spec.h"

namespace brix::jobs {
namespace {

Json Template() {
  return {{"spec",
           {{"serviceAccountName", "brix-job"},
            {"containers",
             Json::array({{{"name", "backup"},
                           {"image", kBrixImage},
                           {"command", {"brix", "manager"}},
                           {"args", {"backup", "--namespace", "test1", "--name", "demo1"}},
                           {"env", Json::array({{{"name", "AZURE_STORAGE_ACCOUNT"},
                                                 {"valueFrom",
                                                  {{"secretKeyRef",
                                                    {{"name", "azblob-secret"},
                                                     {"key", "AZURE_STORAGE_ACCOUNT"},
                                                     {"optional", true}}}}}}})}}})}}}};
}

Json JobWith(const Json& pod_template) {
  return {{"metadata",
           {{"namespace", "test1"},
            {"name", "backup-demo1"},
            {"annotations", {{api::kJobKindAnnotation, "backup"}}}}},
          {"spec", {{"template", pod_template}}}};
}

TEST(ApplyPodFields, SpecEnvAddsVariablesAndOverridesTheControllersOwn) {
  Json t = Template();
  ApplyPodFields(Json::parse(R"({"env": [{"name": "AZURE_STORAGE_ACCOUNT", "value": "other"},
                                          {"name": "TZ", "value": "Asia/Tokyo"}]})"),
                 &t);
  const Json& env = t["spec"]["containers"][0]["env"];
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0], Json::parse(R"({"name": "AZURE_STORAGE_ACCOUNT", "value": "other"})"));
  EXPECT_EQ(env[1]["name"], "TZ");
}

TEST(ApplyPodFields, LogLevelBecomesTheJobsLogLevelWhichSpecEnvMayOverride) {
  Json t = Template();
  ApplyPodFields(Json::parse(R"({"br": {"cluster": "demo1", "logLevel": "DEBUG"}})"), &t);
  EXPECT_EQ(t["spec"]["containers"][0]["env"][1],
            Json({{"name", api::kJobLogLevelEnv}, {"value", "debug"}}));
  Json u = Template();
  ApplyPodFields(Json::parse(R"({"br": {"logLevel": "fatal"},
                                 "env": [{"name": "BRIX_LOG_LEVEL", "value": "info"}]})"),
                 &u);
  EXPECT_EQ(u["spec"]["containers"][0]["env"][1]["value"], "info");
  EXPECT_EQ(api::JobLogLevel("fatal"), "critical");
  EXPECT_EQ(api::JobLogLevel("Warning"), "warn");
  EXPECT_EQ(api::JobLogLevel("loud"), "");
}

TEST(ApplyPodFields, CarriesPodFieldsWhereKubernetesReadsThemAndTheJobStaysRunnable) {
  Json t = Template();
  Json spec = Json::parse(R"({
    "resources": {"limits": {"memory": "4Gi"}},
    "toolImage": "registry.example/br:v8.1.0",
    "additionalVolumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
    "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
    "affinity": {"nodeAffinity": {}},
    "podSecurityContext": {"runAsUser": 1000},
    "priorityClassName": "backup-low",
    "imagePullSecrets": [{"name": "regcred"}],
    "additionalVolumes": [{"name": "scratch", "emptyDir": {}}],
    "automountServiceAccountToken": false})");
  ApplyPodFields(spec, &t);
  const Json& pod = t["spec"];
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["resources"], spec["resources"]);
  EXPECT_EQ(c["image"], "registry.example/br:v8.1.0");
  EXPECT_EQ(c["volumeMounts"], spec["additionalVolumeMounts"]);
  EXPECT_EQ(pod["tolerations"], spec["tolerations"]);
  EXPECT_EQ(pod["affinity"], spec["affinity"]);
  EXPECT_EQ(pod["securityContext"], spec["podSecurityContext"]);
  EXPECT_EQ(pod["priorityClassName"], "backup-low");
  EXPECT_EQ(pod["imagePullSecrets"], spec["imagePullSecrets"]);
  EXPECT_EQ(pod["volumes"], spec["additionalVolumes"]);
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["serviceAccountName"], "brix-job");  // CreateJob's to set
  EXPECT_TRUE(CheckBrixJob(JobWith(t)).ok()) << CheckBrixJob(JobWith(t)).status().ToString();
  EXPECT_EQ(
      KubernetesOnlyFields(JobWith(t)),
      (std::vector<std::string>{"spec.resources", "spec.toolImage", "spec.additionalVolumeMounts",
                                "spec.tolerations", "spec.affinity", "spec.podSecurityContext",
                                "spec.priorityClassName", "spec.imagePullSecrets",
                                "spec.additionalVolumes", "spec.automountServiceAccountToken"}));
}

TEST(KubernetesOnlyFields, NoneForAJobOfEnvLogLevelAndServiceAccountOnly) {
  Json t = Template();
  ApplyPodFields(Json::parse(R"({"serviceAccount": "sa", "br": {"logLevel": "info"},
                                 "env": [{"name": "A", "value": "b"}], "tolerations": []})"),
                 &t);
  EXPECT_TRUE(KubernetesOnlyFields(JobWith(t)).empty());
}

TEST(KubernetesOnlyFields, AnyTagOrRegistryOfTheBrixImageIsTheRunnersOwn) {
  for (const char* image :
       {"brix", "brix:0.1", "registry.example:5000/team/brix:0.1", "brix@sha256:ab"}) {
    EXPECT_TRUE(IsBrixImage(image)) << image;
  }
  for (const char* image : {"pingcap/br:v8.5.0", "brixx:1", "brix/other:1"}) {
    EXPECT_FALSE(IsBrixImage(image)) << image;
  }
}

}  // namespace
}  // namespace brix::jobs
