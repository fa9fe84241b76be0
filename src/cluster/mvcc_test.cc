#include "cluster/mvcc.h"

#include <gtest/gtest.h>
#include <rocksdb/comparator.h>

#include "common/table_filter.h"
#include "common/tso.h"

namespace brix::cluster {
namespace {

TEST(MvccTest, ComparatorOrdersByKeyThenNewestFirst) {
  const rocksdb::Comparator* cmp = MvccComparator();
  // Plain byte order would put a version of "a" after "ab" for some timestamps; ours never does.
  std::string a_old = EncodeMvccKey("a", 5), a_new = EncodeMvccKey("a", 0xff00000000000000ull);
  std::string ab = EncodeMvccKey("ab", 1);
  EXPECT_LT(cmp->Compare(a_new, a_old), 0);
  EXPECT_LT(cmp->Compare(a_old, ab), 0);
  EXPECT_LT(cmp->Compare(a_new, ab), 0);
  std::string_view uk;
  uint64_t ts;
  ASSERT_TRUE(DecodeMvccKey(a_old, &uk, &ts));
  EXPECT_EQ(uk, "a");
  EXPECT_EQ(ts, 5u);
}

TEST(MvccTest, TableKeysAndChecksumIgnoreTableId) {
  EXPECT_EQ(TableIdOf(RowKey(42, "x")), 42);
  EXPECT_FALSE(TableIdOf("m_tbl/a.b").has_value());
  KvChecksum a, b;
  a.Add(RowKey(1, "r1"), "v");
  b.Add(RowKey(2, "r1"), "v");
  EXPECT_EQ(a, b);  // same row, different table id: same checksum
  KvChecksum c;
  c.Add(RowKey(1, "r1"), "w");
  EXPECT_NE(a, c);
  EXPECT_EQ(a.bytes, 4u + 1u);  // "_rr1" + "v"
}

TEST(TableFilterTest, TidbRules) {
  auto f = TableFilter::Parse({"db*.*", "!db1.secret", "other.t?"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches("db1", "t"));
  EXPECT_TRUE(f->Matches("DB2", "Anything"));  // case-insensitive
  EXPECT_FALSE(f->Matches("db1", "secret"));   // later exclusion wins
  EXPECT_TRUE(f->Matches("other", "t1"));
  EXPECT_FALSE(f->Matches("other", "t12"));
  EXPECT_FALSE(f->Matches("x", "y"));  // no rule matches: left out
  auto again = TableFilter::Parse({"!db1.secret", "db*.*"});
  EXPECT_TRUE(again->Matches("db1", "secret"));  // last listed decides
  EXPECT_TRUE(TableFilter::Parse({})->Matches("any", "thing"));
  EXPECT_FALSE(TableFilter::Parse({"nodot"}).ok());
  EXPECT_FALSE(TableFilter::Parse({"a.[bc"}).ok());
  auto cls = TableFilter::Parse({"a.t[12]"});
  EXPECT_TRUE(cls->Matches("a", "t2"));
  EXPECT_FALSE(cls->Matches("a", "t3"));
}

}  // namespace
}  // namespace brix::cluster
