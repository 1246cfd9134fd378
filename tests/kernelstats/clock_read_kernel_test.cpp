// The clock read timed inside BPF with BPF_PROG_TEST_RUN, and what a tracepoint program's run
// costs beyond its recorded run time, on the running kernel (root).
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

TEST(ClockRead, ATracepointProgramsRunCostsMoreThanItsRecordedTime) {
  TUNESCOPE_REQUIRE_ROOT();
  const bool stats_were_on = probes::BpfStats::Active();
  std::string error;
  auto per_run = MeasureBpfRunOverhead(7, 20000, error);
  ASSERT_TRUE(per_run.has_value()) << error;
  // The dispatch and the statistics' clock reads outside their timestamps: tens of ns. 0 would
  // mean the attached program cost the calls nothing more than its recorded run time.
  EXPECT_GT(*per_run, 1e-9);
  EXPECT_LT(*per_run, 2e-6);
  EXPECT_EQ(probes::BpfStats::Active(), stats_were_on) << "statistics left as they were";
  std::printf("a tracepoint program's run: %.1f ns beyond its recorded run time\n", *per_run * 1e9);
}

}  // namespace
}  // namespace tunescope::kernelstats
