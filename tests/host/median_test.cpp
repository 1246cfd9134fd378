#include "host/median.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tunescope::host {
namespace {

TEST(Median, OddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({5, 9, 1, 7, 3, 8}), 6);
  EXPECT_DOUBLE_EQ(Median({7}), 7);
  EXPECT_TRUE(std::isnan(Median({})));
}

TEST(Median, OneWildValueDoesNotMoveIt) {
  EXPECT_DOUBLE_EQ(Median({10, 11, 12, 1e9, 9}), 11);
  EXPECT_DOUBLE_EQ(Median({-1e9, 10, 11, 12}), 10.5);
}

}  // namespace
}  // namespace tunescope::host
