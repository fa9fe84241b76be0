#include "operator/apiserver/selector.h"

#include <gtest/gtest.h>

namespace brix::apiserver {
namespace {

bool Match(const char* selector, const char* labels) {
  auto s = LabelSelector::Parse(selector);
  EXPECT_TRUE(s.ok()) << selector << ": " << s.status().ToString();
  return s.ok() && s->Matches(Json::parse(labels));
}

TEST(LabelSelectorTest, Operators) {
  const char* labels = R"({"app":"br","tidb.pingcap.com/backup-schedule":"s1","tier":"db"})";
  EXPECT_TRUE(Match("", labels));
  EXPECT_TRUE(Match("tidb.pingcap.com/backup-schedule=s1", labels));
  EXPECT_TRUE(Match("app==br,tier=db", labels));
  EXPECT_FALSE(Match("app=br,tier=web", labels));
  EXPECT_TRUE(Match("app!=x", labels));
  EXPECT_FALSE(Match("app!=br", labels));
  EXPECT_TRUE(Match("missing!=x", labels));
  EXPECT_TRUE(Match("tier in (db, web)", labels));
  EXPECT_FALSE(Match("tier in (web)", labels));
  EXPECT_TRUE(Match("tier notin (web),app", labels));
  EXPECT_FALSE(Match("tier notin (db)", labels));
  EXPECT_TRUE(Match("!missing", labels));
  EXPECT_FALSE(Match("!app", labels));
  EXPECT_FALSE(Match("missing", labels));
  EXPECT_FALSE(Match("app=br", "null"));
  EXPECT_TRUE(Match("!app", "null"));
  EXPECT_FALSE(LabelSelector::Parse("a in b").ok());
  EXPECT_FALSE(LabelSelector::Parse("a b").ok());
  EXPECT_FALSE(LabelSelector::Parse("a,,b").ok());
}

TEST(FieldSelectorTest, NameAndNamespace) {
  Json obj = Json::parse(R"({"metadata":{"name":"x","namespace":"test1"},
                             "involvedObject":{"kind":"Backup","name":"x"}})");
  std::vector<std::string> supported = {"metadata.name", "metadata.namespace",
                                        "involvedObject.kind", "involvedObject.name"};
  auto s = FieldSelector::Parse("metadata.name=x,metadata.namespace==test1", supported);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(obj));
  s = FieldSelector::Parse("metadata.name!=x", supported);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->Matches(obj));
  s = FieldSelector::Parse("involvedObject.kind=Backup,involvedObject.name=y", supported);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->Matches(obj));
  auto bad = FieldSelector::Parse("spec.x=1", supported);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("field label not supported: spec.x"), std::string::npos);
  EXPECT_FALSE(FieldSelector::Parse("metadata.name", supported).ok());
}

}  // namespace
}  // namespace brix::apiserver
