// brixd serves what `kubectl apply -f deploy/` applies: the built-in CRDs (server_crds.cc),
// Namespaces and apps/v1 Deployments (stored, never run). Through the real kubectl.
#include "operator/api/crd.h"
#include "operator/apiserver/brixd_fixture.h"

namespace brix::apiserver {
namespace {

const std::string kDeploy = std::string(BRIX_SOURCE_DIR) + "/deploy/";

TEST_F(BrixdTest, ApplyDeployFolderServesTheBuiltInCrdsAndRefusesOthers) {
  std::string applied = Ok({"apply", "-f", kDeploy});
  for (const char* plural : {"backups", "backupschedules", "compactbackups", "restores"}) {
    EXPECT_NE(applied.find(std::string("customresourcedefinition.apiextensions.k8s.io/") + plural +
                           ".br.pingcap.com unchanged"),
              std::string::npos)
        << applied;
  }
  std::string crds = Ok({"get", "crd"});
  EXPECT_EQ(crds.substr(0, crds.find('\n')).find("NAME"), 0u) << crds;
  EXPECT_NE(crds.find("CREATED AT"), std::string::npos) << crds;
  const std::vector<Json> file =
      api::YamlDocumentsToJson(testing::FileContents(kDeploy + "00-crds.yaml"));
  ASSERT_EQ(file.size(), 4u);
  for (const Json& doc : file) {
    const std::string name = doc["metadata"]["name"];
    EXPECT_NE(crds.find(name), std::string::npos) << crds;
    Json served = Json::parse(Ok({"get", "crd", name, "-o", "json"}), nullptr, false);
    EXPECT_EQ(served["spec"], doc["spec"]) << name;
    EXPECT_EQ(served["metadata"]["annotations"][api::kSchemaAnnotation],
              doc["metadata"]["annotations"][api::kSchemaAnnotation]);
    EXPECT_EQ(served["status"]["conditions"][1]["type"], "Established");
  }
  EXPECT_NE(Ok({"get", "bk,bks,cpbk,rt", "-A"}).find("No resources found"), std::string::npos);
  std::string resources = Ok({"api-resources"});
  for (const char* kind : {"CustomResourceDefinition", "Namespace", "Deployment"}) {
    EXPECT_NE(resources.find(kind), std::string::npos) << resources;
  }

  // Another schema for one of brix's CRDs: refused, saying why and which schema is served.
  Json changed = file[0];
  changed["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
         ["backupMode"]["enum"]
             .push_back("turbo");
  CommandResult refused = Kubectl({"apply", "-f", WriteFile("changed.yaml", api::ToYaml(changed))});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find(
                "brixd's schema is built in and cannot be changed through the "
                "API: this brixd serves schema " +
                file[0]["metadata"]["annotations"][api::kSchemaAnnotation].get<std::string>()),
            std::string::npos)
      << refused.output;
  // A CRD of another group, and deleting a served one.
  Json other = file[0];
  other["metadata"]["name"] = "widgets.example.com";
  other["spec"]["group"] = "example.com";
  other["spec"]["names"]["plural"] = "widgets";
  CommandResult foreign = Kubectl({"apply", "-f", WriteFile("other.yaml", api::ToYaml(other))});
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_NE(foreign.output.find("brixd serves only the CustomResourceDefinitions it is built with"),
            std::string::npos)
      << foreign.output;
  CommandResult deleted = Kubectl({"delete", "crd", "backups.br.pingcap.com"});
  EXPECT_NE(deleted.exit_code, 0);
  EXPECT_NE(deleted.output.find("built in"), std::string::npos) << deleted.output;
  EXPECT_NE(Ok({"get", "crd"}).find("backups.br.pingcap.com"), std::string::npos);
}

TEST_F(BrixdTest, NamespacesAndDeploymentsAreStoredAndDeploymentsNeverRun) {
  const std::string manifest = WriteFile("operator.yaml", R"(apiVersion: v1
kind: Namespace
metadata:
  name: brix-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: brix-operator
  namespace: brix-system
spec:
  replicas: 1
  selector:
    matchLabels:
      app: brix-operator
  template:
    metadata:
      labels:
        app: brix-operator
    spec:
      containers:
      - name: operator
        image: brix:latest
        args: ["operator"]
)");
  std::string out = Ok({"apply", "-f", manifest});
  EXPECT_NE(out.find("namespace/brix-system created"), std::string::npos) << out;
  EXPECT_NE(out.find("deployment.apps/brix-operator created"), std::string::npos) << out;
  out = Ok({"apply", "-f", manifest});
  EXPECT_NE(out.find("namespace/brix-system unchanged"), std::string::npos) << out;
  EXPECT_NE(out.find("deployment.apps/brix-operator unchanged"), std::string::npos) << out;
  std::string ns = Ok({"get", "ns", "brix-system"});
  EXPECT_NE(ns.find("brix-system   Active"), std::string::npos) << ns;
  std::string deploy = Ok({"get", "deploy", "-n", "brix-system", "-o", "wide"});
  EXPECT_NE(deploy.find("brix-operator   0/1     0            0"), std::string::npos) << deploy;
  EXPECT_NE(deploy.find("brix:latest"), std::string::npos) << deploy;
  Json d = GetJson("/apis/apps/v1/namespaces/brix-system/deployments/brix-operator");
  EXPECT_EQ(d["status"]["replicas"], 0);
  EXPECT_EQ(d["status"]["conditions"][0]["reason"], "NotRunByBrixd");
  EXPECT_NE(Ok({"delete", "ns", "brix-system"}).find("deleted"), std::string::npos);
}

}  // namespace
}  // namespace brix::apiserver
