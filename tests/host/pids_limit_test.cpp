// PidsHeadroomOf on cgroup trees made in a temporary directory: v1 and v2, limits on ancestors.
#include "host/pids_limit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tunescope::host {
namespace {

class PidsTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("pids-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    paths_.sys = root_.string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Limit(const std::string& dir, const std::string& max, const std::string& current) {
    auto d = root_ / "fs/cgroup" / dir;
    std::filesystem::create_directories(d);
    std::ofstream(d / "pids.max") << max << "\n";
    std::ofstream(d / "pids.current") << current << "\n";
  }
  std::filesystem::path root_;
  HostPaths paths_;
};

TEST_F(PidsTree, V1LimitOfTheProcessCgroup) {
  Limit("pids/machine/pod", "1000", "12");
  auto h = PidsHeadroomOf("12:cpu,cpuacct:/other\n5:pids:/machine/pod\n0::/x\n", paths_);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->tasks, 988u);
  EXPECT_EQ(h->max, 1000u);
  EXPECT_EQ(h->cgroup, (root_ / "fs/cgroup/pids/machine/pod").string());
}

TEST_F(PidsTree, V2TightestAncestorWins) {
  Limit("", "max", "400");
  Limit("kubepods", "600", "590");
  Limit("kubepods/pod1", "2048", "30");
  auto h = PidsHeadroomOf("0::/kubepods/pod1\n", paths_);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->tasks, 10u);
  EXPECT_EQ(h->max, 600u);
}

TEST_F(PidsTree, NoLimitAnywhereIsNothing) {
  Limit("a", "max", "3");
  EXPECT_FALSE(PidsHeadroomOf("0::/a\n", paths_));
  EXPECT_FALSE(PidsHeadroomOf("0::/missing\n", paths_));
  EXPECT_FALSE(PidsHeadroomOf("garbage", paths_));
}

TEST_F(PidsTree, OverTheLimitLeavesNone) {
  Limit("pids/c", "10", "12");  // a limit lowered below the tasks already there
  auto h = PidsHeadroomOf("3:pids:/c\n", paths_);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->tasks, 0u);
}

}  // namespace
}  // namespace tunescope::host
