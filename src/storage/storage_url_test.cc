#include "storage/storage_url.h"

#include <gtest/gtest.h>

namespace brix::storage {
namespace {

TEST(StorageUrlTest, LocalForms) {
  auto a = ParseStorageUrl("local:///var/b1/");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->kind, StorageUrl::Kind::kLocal);
  EXPECT_EQ(a->path, "/var/b1");
  auto b = ParseStorageUrl("/abs/dir");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->path, "/abs/dir");
  auto c = ParseStorageUrl("rel/dir");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->path.front(), '/');
  EXPECT_EQ(c->path.substr(c->path.size() - 8), "/rel/dir");
  EXPECT_FALSE(ParseStorageUrl("local://relative").ok());
  EXPECT_FALSE(ParseStorageUrl("local:///x?foo=1").ok());
}

TEST(StorageUrlTest, AzureForms) {
  auto a = ParseStorageUrl("azure://my-container/my-full-backup-folder/?access-tier=Cool");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->kind, StorageUrl::Kind::kAzure);
  EXPECT_EQ(a->container, "my-container");
  EXPECT_EQ(a->prefix, "my-full-backup-folder");
  EXPECT_EQ(a->params.at("access-tier"), "Cool");
  auto b = ParseStorageUrl("azblob://c01");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->prefix, "");
}

TEST(StorageUrlTest, BadInputNamesTheProblemAndHidesSecrets) {
  auto bad_container = ParseStorageUrl("azure://My_Container/x?sas-token=secret123");
  ASSERT_FALSE(bad_container.ok());
  EXPECT_NE(bad_container.status().message().find("not a valid Azure container name"),
            std::string::npos);
  EXPECT_EQ(bad_container.status().message().find("secret123"), std::string::npos);
  auto bad_scheme = ParseStorageUrl("s4://b/p");
  ASSERT_FALSE(bad_scheme.ok());
  EXPECT_NE(bad_scheme.status().message().find("accepted: local://"), std::string::npos);
  EXPECT_FALSE(ParseStorageUrl("").ok());
  EXPECT_FALSE(ParseStorageUrl("azure://ab/x").ok());           // too short
  EXPECT_FALSE(ParseStorageUrl("azure://abc/x?a=1&a=2").ok());  // repeated parameter
}

}  // namespace
}  // namespace brix::storage
