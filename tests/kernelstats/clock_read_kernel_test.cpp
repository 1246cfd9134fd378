// The clock read timed inside BPF with BPF_PROG_TEST_RUN, on the running kernel (root).
#include <gtest/gtest.h>

#include <cstdio>

#include "kernelstats/clock_read.h"
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

}  // namespace
}  // namespace tunescope::kernelstats
