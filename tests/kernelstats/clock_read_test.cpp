// The clock-read gauge and the userspace proxy (the BPF half: clock_read_kernel_test.cpp).
#include "kernelstats/clock_read.h"

#include <gtest/gtest.h>

#include "metric_lookup.h"
#include "metric_naming.h"

namespace tunescope::kernelstats {
namespace {

TEST(ClockRead, UserspaceReadCostsBetweenANanosecondAndTenMicroseconds) {
  const double s = MeasureUserClockRead(5, 20000);
  EXPECT_GT(s, 1e-9);
  EXPECT_LT(s, 1e-5);  // a syscall fallback is ~0.1-1 us; more means the measure is broken
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
  EXPECT_EQ(ReadClocksource(paths), "kvm-clock");
  paths.sys = "/nonexistent";
  EXPECT_EQ(ReadClocksource(paths), "unknown");
}

}  // namespace
}  // namespace tunescope::kernelstats
