// The clock-read cost measured at start: userspace proxy anywhere, BPF_PROG_TEST_RUN as root.
#include "kernelstats/clock_read.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "metric_lookup.h"
#include "metric_naming.h"
#include "require_root.h"

namespace tunescope::kernelstats {
namespace {

TEST(ClockRead, UserspaceReadCostsBetweenANanosecondAndTenMicroseconds) {
  const double s = MeasureUserClockRead(5, 20000);
  EXPECT_GT(s, 1e-9);
  EXPECT_LT(s, 1e-5);  // a syscall fallback is ~0.1-1 us; more means the measure is broken
}

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

TEST(ClockRead, ExportsNothingBeforeTheMeasureThenOneGaugePerReader) {
  ClockRead c;
  EXPECT_TRUE(c.Collect().empty());
  ClockReadCost cost;
  cost.clocksource = "kvm-clock";
  cost.bpf_seconds = 60e-9;
  cost.vdso_seconds = 40e-9;
  c.Set(cost);
  auto f = c.Collect();
  EXPECT_EQ(testing::NamingProblems(f), std::vector<std::string>{});
  EXPECT_DOUBLE_EQ(
      testing::SumValues(f, "tunescope_clock_read_seconds",
                         {{"clocksource", "kvm-clock"}, {"reader", "bpf_ktime_get_ns"}}),
      60e-9);
  EXPECT_DOUBLE_EQ(
      testing::SumValues(f, "tunescope_clock_read_seconds", {{"reader", "clock_gettime"}}), 40e-9);
  // Without the BPF half only the proxy is exported.
  cost.bpf_seconds.reset();
  c.Set(cost);
  EXPECT_EQ(testing::FindFamily(c.Collect(), "tunescope_clock_read_seconds")->metric.size(), 1u);
}

TEST(ClockRead, ReadsTheClocksourceName) {
  host::HostPaths paths;
  paths.sys = std::string(TUNESCOPE_KERNELSTATS_FIXTURES) + "/tree4cpu/sys";
  paths.proc = "/nonexistent";
  ClockReadCost cost = MeasureClockReadCost(paths);
  EXPECT_EQ(cost.clocksource, "kvm-clock");
  EXPECT_TRUE(cost.vdso_seconds.has_value());
}

}  // namespace
}  // namespace tunescope::kernelstats
