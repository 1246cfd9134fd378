// The clock read, and what BPF statistics add to a program run, timed inside BPF with
// BPF_PROG_TEST_RUN on the running kernel (root).
#include <gtest/gtest.h>

#include <cstdio>

#include "kernelstats/clock_read.h"
#include "probes/bpf_stats.h"
#include "require_root.h"

namespace tunescope::kernelstats {
namespace {

TEST(ClockRead, BpfTestRunMeasuresKtimeGetNs) {
  TUNESCOPE_REQUIRE_ROOT();
  std::string error;
  auto s = MeasureBpfClockRead(5, 32, error);
  ASSERT_TRUE(s.has_value()) << error;
  // tsc ~10-30 ns, kvm-clock and xen more; 0 would mean the loop did not read the clock.
  EXPECT_GT(*s, 1e-9);
  EXPECT_LT(*s, 2e-6);
  std::printf("bpf_ktime_get_ns: %.1f ns per read\n", *s * 1e9);
}

TEST(ClockRead, StatisticsOverheadIsMeasuredOnlyWhileTheyAreOff) {
  TUNESCOPE_REQUIRE_ROOT();
  ASSERT_FALSE(probes::BpfStats::Active())
      << "kernel.bpf_stats_enabled is on: the test needs it off";
  std::string error;
  auto per_run = MeasureBpfStatsOverhead(7, 4096, error);
  ASSERT_TRUE(per_run.has_value()) << error;
  // Two clock reads and a counter update a run: 0 would mean the second half ran without them.
  EXPECT_GT(*per_run, 1e-9);
  EXPECT_LT(*per_run, 2e-6);
  EXPECT_FALSE(probes::BpfStats::Active()) << "the measurement left statistics on";
  std::printf("BPF statistics: %.1f ns per program run\n", *per_run * 1e9);

  // Held on by someone else, the "off" half cannot be run: an error, not a 0.
  probes::BpfStats held;
  ASSERT_TRUE(held.Enable().ok());
  error.clear();
  EXPECT_FALSE(MeasureBpfStatsOverhead(3, 64, error).has_value());
  EXPECT_NE(error.find("already on"), std::string::npos) << error;
}

}  // namespace
}  // namespace tunescope::kernelstats
