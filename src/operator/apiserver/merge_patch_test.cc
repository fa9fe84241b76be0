#include "operator/apiserver/merge_patch.h"

#include <gtest/gtest.h>

namespace brix::apiserver {
namespace {

TEST(MergePatchTest, Rfc7386) {
  Json target = Json::parse(R"({"a":"b","c":{"d":"e","f":"g"},"l":[1,2]})");
  Json patch = Json::parse(R"({"a":"z","c":{"f":null},"l":[3],"n":{"x":1}})");
  EXPECT_EQ(MergePatch(target, patch),
            Json::parse(R"({"a":"z","c":{"d":"e"},"l":[3],"n":{"x":1}})"));
  EXPECT_EQ(MergePatch(Json::parse(R"({"a":1})"), Json::parse("[1]")), Json::parse("[1]"));
  EXPECT_EQ(MergePatch(Json::parse(R"({"a":{"b":1}})"), Json::parse(R"({"a":{"b":null}})")),
            Json::parse(R"({"a":{}})"));
}

TEST(MergePatchTest, StrategicMergesContainersByName) {
  Json job = Json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]},
      {"name":"b","image":"b:1"}]}}}})");
  Json patch = Json::parse(R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
      "containers":[{"name":"a","image":"a:2","env":[{"name":"Y","value":"2"}]}]}}}})");
  auto out = StrategicMergePatch(job, patch);
  ASSERT_TRUE(out.ok());
  const Json& containers = (*out)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["name"], "b");  // reordered as asked
  EXPECT_EQ(containers[1]["image"], "a:2");
  EXPECT_EQ(containers[1]["env"].size(), 2u);  // env merged by name, not replaced
}

TEST(MergePatchTest, StrategicDirectives) {
  Json secret = Json::parse(R"({"data":{"a":"YQ==","b":"Yg=="},"list":[1,2,3],
                                "spec":{"containers":[{"name":"a"},{"name":"b"}]}})");
  auto out = StrategicMergePatch(
      secret, Json::parse(R"({"data":{"a":null,"c":"Yw=="},"$deleteFromPrimitiveList/list":[2],
                              "spec":{"containers":[{"name":"a","$patch":"delete"}]}})"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["data"], Json::parse(R"({"b":"Yg==","c":"Yw=="})"));
  EXPECT_EQ((*out)["list"], Json::parse("[1,3]"));
  EXPECT_EQ((*out)["spec"]["containers"], Json::parse(R"([{"name":"b"}])"));
  auto replaced =
      StrategicMergePatch(secret, Json::parse(R"({"data":{"$patch":"replace","z":"eg=="}})"));
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ((*replaced)["data"], Json::parse(R"({"z":"eg=="})"));
  EXPECT_FALSE(StrategicMergePatch(secret, Json::parse(R"({"$bogus":1})")).ok());
  EXPECT_FALSE(StrategicMergePatch(secret, Json::parse(R"({"data":{"$patch":"twist"}})")).ok());
}

}  // namespace
}  // namespace brix::apiserver
