#include "operator/api/crd.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "operator/api/crd_testing.h"

namespace brix::api {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const Json& CrdNamed(const std::string& name) {
  for (const auto& crd : AllCrds()) {
    if (crd["metadata"]["name"] == name) return crd;
  }
  static const Json none;
  return none;
}

const Json& VersionOf(const std::string& name) { return CrdNamed(name)["spec"]["versions"][0]; }

const Json& SchemaOf(const std::string& plural) {
  return VersionOf(plural + ".br.pingcap.com")["schema"]["openAPIV3Schema"];
}

TEST(CrdTest, CommittedDeployFileIsTheGeneratorsOutput) {
  std::string committed = ReadFile(std::string(BRIX_SOURCE_DIR) + "/deploy/00-crds.yaml");
  EXPECT_TRUE(committed == CrdsYaml())
      << "deploy/00-crds.yaml differs from the CRDs generated from the schema tables; "
         "regenerate it with: "
      << kRegenerateCrdsCommand;
}

TEST(CrdTest, YamlReadsBackAsTheGeneratedObjects) {
  std::vector<Json> docs = YamlDocumentsToJson(CrdsYaml());
  ASSERT_EQ(docs.size(), AllCrds().size());
  for (size_t i = 0; i < docs.size(); ++i) EXPECT_EQ(docs[i], AllCrds()[i]) << i;
  // Strings that read as other types in YAML stay strings.
  for (const char* s : {"", "true", "no", "1", "1.5", "null", "a: b", "#x", "*/2 * * * *", "~"}) {
    EXPECT_EQ(YamlToJson(ToYaml(Json{{"k", s}})), (Json{{"k", s}})) << s;
  }
}

TEST(CrdTest, NamesScopeSubresourcesAndColumnsComeFromTheTable) {
  std::vector<std::string> names;
  for (const auto& crd : AllCrds()) names.push_back(crd["metadata"]["name"]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"backups.br.pingcap.com", "backupschedules.br.pingcap.com",
                                      "compactbackups.br.pingcap.com", "restores.br.pingcap.com"}));
  const Json& backup = CrdNamed("backups.br.pingcap.com");
  EXPECT_EQ(backup["apiVersion"], "apiextensions.k8s.io/v1");
  EXPECT_EQ(backup["spec"]["group"], "br.pingcap.com");
  EXPECT_EQ(backup["spec"]["scope"], "Namespaced");
  EXPECT_EQ(backup["spec"]["names"], (Json{{"kind", "Backup"},
                                           {"listKind", "BackupList"},
                                           {"plural", "backups"},
                                           {"singular", "backup"},
                                           {"shortNames", {"bk"}},
                                           {"categories", {"all"}}}));
  EXPECT_EQ(CrdNamed("backupschedules.br.pingcap.com")["spec"]["names"]["shortNames"],
            Json({"bks"}));
  EXPECT_EQ(CrdNamed("compactbackups.br.pingcap.com")["spec"]["names"]["shortNames"],
            Json({"cpbk"}));
  EXPECT_EQ(CrdNamed("restores.br.pingcap.com")["spec"]["names"]["shortNames"], Json({"rt"}));
  const Json& v = VersionOf("backups.br.pingcap.com");
  EXPECT_EQ(v["name"], "v1alpha1");
  EXPECT_TRUE(v["served"] && v["storage"]);
  EXPECT_EQ(v["subresources"], (Json{{"status", Json::object()}}));
  EXPECT_EQ(v["additionalPrinterColumns"][0],
            (Json{{"name", "Type"}, {"type", "string"}, {"jsonPath", ".spec.backupType"}}));
  bool wide_started = false;
  for (const auto& c : v["additionalPrinterColumns"]) {
    if (c["name"] == "Started") wide_started = c["priority"] == 1 && c["type"] == "date";
  }
  EXPECT_TRUE(wide_started);
  EXPECT_EQ(CrdNamed("backups.br.pingcap.com")["metadata"]["annotations"][kSchemaAnnotation],
            SchemaFingerprint(CrdNamed("backups.br.pingcap.com")["spec"]));
}

TEST(CrdTest, OpenApiSchemaCarriesTypesEnumsDefaultsAndFormatsAsDescriptions) {
  const Json& root = SchemaOf("backups");
  EXPECT_EQ(root["required"], Json({"spec"}));
  EXPECT_EQ(root["properties"]["metadata"], (Json{{"type", "object"}}));
  EXPECT_EQ(root["properties"]["status"],
            (Json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}));
  const Json& spec = root["properties"]["spec"];
  EXPECT_EQ(spec["required"], Json({"br"}));
  EXPECT_EQ(spec["properties"]["backupMode"],
            (Json{{"type", "string"},
                  {"enum", {"snapshot", "log", "volume-snapshot"}},
                  {"default", "snapshot"}}));
  EXPECT_EQ(spec["properties"]["azblob"]["properties"]["accessTier"]["default"], "Cool");
  EXPECT_EQ(spec["properties"]["resources"]["x-kubernetes-preserve-unknown-fields"], true);
  EXPECT_EQ(spec["properties"]["tolerations"]["items"]["x-kubernetes-preserve-unknown-fields"],
            true);
  const Json& commit_ts = spec["properties"]["commitTs"];
  EXPECT_EQ(commit_ts["type"], "string");
  EXPECT_NE(commit_ts["description"].get<std::string>().find("brixd refuses other values"),
            std::string::npos);
  EXPECT_EQ(spec["properties"]["br"]["properties"]["concurrency"], (Json{{"type", "integer"}}));
  EXPECT_EQ(SchemaOf("backupschedules")["properties"]["spec"]["properties"]["schedule"]["type"],
            "string");
  // Maps and int-or-string, which the resource table does not use today.
  EXPECT_EQ(OpenApiSchema(*Schema::Map(Schema::String())),
            (Json{{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}));
  EXPECT_EQ(OpenApiSchema(*Schema::IntOrString()), (Json{{"x-kubernetes-int-or-string", true}}));
}

// What brixd's Schema says of `object` after its defaults: accepted or not.
bool BrixdAccepts(const ResourceInfo& info, Json object) {
  DropNulls(&object);
  ApplyDefaults(*info.schema, &object);
  return Validate(*info.schema, object).empty();
}

bool OpenApiAccepts(const ResourceInfo& info, Json object) {
  DropNulls(&object);
  ApplyDefaults(*info.schema, &object);
  return testing::OpenApiErrors(SchemaOf(info.plural), object).empty();
}

const ResourceInfo& InfoOfKind(const std::string& kind) {
  for (const auto& r : AllResources()) {
    if (r.custom && r.kind == kind) return r;
  }
  ADD_FAILURE() << kind;
  return AllResources().front();
}

// The seed's YAML: every object is accepted or refused alike by brixd's Schema and by the
// generated openAPIV3Schema, except where brixd checks a format (compact-backup-demo1's "***"
// timestamps), which a Kubernetes API server cannot.
TEST(CrdTest, SeedObjectsAreAcceptedAndRefusedAlikeByBothSchemas) {
  const std::string dir = std::string(BRIX_SOURCE_DIR) + "/src/operator/apiserver/testdata/seed";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::vector<Json> docs;
    try {
      docs = YamlDocumentsToJson(ReadFile(entry.path()));
    } catch (const std::exception&) {
      continue;  // backup-scheduler-access-key.yaml is not valid YAML as written
    }
    for (const auto& doc : docs) {
      if (doc.value("apiVersion", "") != "br.pingcap.com/v1alpha1") continue;
      const ResourceInfo& info = InfoOfKind(doc["kind"]);
      bool brixd = BrixdAccepts(info, doc), openapi = OpenApiAccepts(info, doc);
      if (entry.path().filename() == "compact-backup-demo1.yaml") {
        EXPECT_FALSE(brixd);
        EXPECT_TRUE(openapi);
      } else {
        EXPECT_EQ(brixd, openapi) << entry.path();
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 14);
}

TEST(CrdTest, StructuralMistakesAreRefusedByBothSchemas) {
  const ResourceInfo& backup = InfoOfKind("Backup");
  const Json good = {{"apiVersion", "br.pingcap.com/v1alpha1"},
                     {"kind", "Backup"},
                     {"metadata", {{"name", "b"}, {"namespace", "test1"}}},
                     {"spec",
                      {{"backupType", "full"},
                       {"br", {{"cluster", "demo1"}, {"concurrency", 4}}},
                       {"tolerations", {{{"key", "k"}, {"operator", "Exists"}}}},
                       {"encryption", {{"secretName", "master-key"}}},
                       {"azblob", {{"container", "c"}, {"prefix", "p"}}}}}};
  EXPECT_TRUE(BrixdAccepts(backup, good));
  EXPECT_TRUE(OpenApiAccepts(backup, good));
  std::vector<std::pair<std::string, Json>> mutations = {
      {"/spec/backupType", "everything"},         // not in the enum
      {"/spec/br/concurrency", "4"},              // a string for an integer
      {"/spec/br/checksum", "yes"},               // a string for a boolean
      {"/spec/azblob/accessTier", "Frozen"},      // not in the enum
      {"/spec/brr", Json::object()},              // unknown field
      {"/spec/azblob/containr", "c"},             // unknown field, nested
      {"/spec/tableFilter", "db.*"},              // a string for a list
      {"/spec/tableFilter", Json({1})},           // a list of the wrong items
      {"/spec/from", {{"host", "h"}}},            // from.secretName is required
      {"/spec/br", {{"clusterNamespace", "x"}}},  // br.cluster is required
      {"/spec/encryption", Json::object()},       // encryption.secretName is required
  };
  for (const auto& [pointer, value] : mutations) {
    Json bad = good;
    bad[Json::json_pointer(pointer)] = value;
    EXPECT_FALSE(BrixdAccepts(backup, bad)) << pointer << " " << value;
    EXPECT_FALSE(OpenApiAccepts(backup, bad)) << pointer << " " << value;
  }
  Json no_spec = good;
  no_spec.erase("spec");
  EXPECT_FALSE(BrixdAccepts(backup, no_spec));
  EXPECT_FALSE(OpenApiAccepts(backup, no_spec));
  // Formats and cross-field rules are brixd's only (crd.h).
  for (const auto& [pointer, value] :
       std::vector<std::pair<std::string, Json>>{{"/spec/commitTs", "2026-02-31 00:00:00"},
                                                 {"/spec/tikvGCLifeTime", "3d"},
                                                 {"/spec/backupMode", "volume-snapshot"}}) {
    Json bad = good;
    bad[Json::json_pointer(pointer)] = value;
    EXPECT_FALSE(BrixdAccepts(backup, bad)) << pointer;
    EXPECT_TRUE(OpenApiAccepts(backup, bad)) << pointer;
  }
}

}  // namespace
}  // namespace brix::api
