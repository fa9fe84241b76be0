// SortForReplay (replay_order.h): the stable order PITR fetches raw log files in.
#include "br/log/replay_order.h"

#include <gtest/gtest.h>

namespace brix::br {
namespace {

TEST(ReplayOrderTest, FilesAreSortedByMinTsThenMaxTsThenName) {
  std::vector<LogFile> files(3);
  files[0].set_name("b"), files[0].set_min_ts(5), files[0].set_max_ts(9);
  files[1].set_name("a"), files[1].set_min_ts(5), files[1].set_max_ts(9);
  files[2].set_name("c"), files[2].set_min_ts(1), files[2].set_max_ts(99);
  SortForReplay(files);
  EXPECT_EQ(files[0].name(), "c");
  EXPECT_EQ(files[1].name(), "a");
  EXPECT_EQ(files[2].name(), "b");
}

}  // namespace
}  // namespace brix::br
