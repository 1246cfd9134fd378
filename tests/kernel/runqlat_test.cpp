// The runqlat probe's target histogram: a periodic sleeper pinned to CPU0 waits longer for
// its CPU when busy hogs share CPU0 than when it has CPU0 to itself.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "metric_lookup.h"
#include "probe_harness.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

using std::chrono::seconds;

constexpr const char* kTarget = "tunescope_runqueue_target_latency_seconds";

std::map<double, double> TargetLatencyOver(probes::Probe& probe, seconds window) {
  auto before = Buckets(probe.Collect(), kTarget);
  std::this_thread::sleep_for(window);
  return Delta(Buckets(probe.Collect(), kTarget), before);
}

class RunqlatKernelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RunqlatKernelTest, TargetP99RisesWithAHogOnItsCpu) {
  TUNESCOPE_REQUIRE_ROOT();
  ChildProcess sleeper([] { PeriodicSleeper(0, std::chrono::microseconds(500), seconds(60)); });
  probes::ProbeConfig config;
  config.target_pids = {sleeper.pid()};
  auto probe = StartProbe("runqlat", GetParam(), config);
  ASSERT_NE(probe, nullptr);

  auto quiet = TargetLatencyOver(*probe, seconds(3));
  double quiet_p99 = QuantileUpperBound(quiet, 0.99);

  std::vector<std::unique_ptr<ChildProcess>> hogs;
  for (int i = 0; i < 3; ++i)
    hogs.push_back(std::make_unique<ChildProcess>([] {
      // Heavier than the sleeper, so the scheduler cannot hide the contention behind wakeup
      // preemption; the hogs model a batch job or a noisy neighbour on the server CPU.
      (void)nice(-10);
      CpuHog(0, seconds(60));
    }));
  auto busy = TargetLatencyOver(*probe, seconds(3));
  double busy_p99 = QuantileUpperBound(busy, 0.99);
  hogs.clear();

  std::cout << "target run-queue p99: quiet " << quiet_p99 << " s, with hogs " << busy_p99
            << " s\n";
  ASSERT_GT(quiet.rbegin()->second, 500) << "the sleeper wakes ~2000 times a second";
  ASSERT_GT(busy.rbegin()->second, 100);
  // Log2 buckets: "clearly higher" = at least two buckets (4x) up.
  EXPECT_GE(busy_p99, 4 * quiet_p99)
      << "p99 quiet " << quiet_p99 << " s, busy " << busy_p99 << " s";

  // The per-CPU histogram sees everything, targets or not.
  auto all = Buckets(probe->Collect(), "tunescope_runqueue_latency_seconds", {{"cpu", "0"}});
  EXPECT_GE(all.rbegin()->second, busy.rbegin()->second);
}

TEST_P(RunqlatKernelTest, TargetByCommMatchesOnlyThatProcess) {
  TUNESCOPE_REQUIRE_ROOT();
  ChildProcess sleeper([] {
    pthread_setname_np(pthread_self(), "ts-rq-target");
    PeriodicSleeper(1, std::chrono::microseconds(1000), seconds(60));
  });
  probes::ProbeConfig config;
  config.target_comms = {"ts-rq-target"};
  auto probe = StartProbe("runqlat", GetParam(), config);
  ASSERT_NE(probe, nullptr);
  auto samples = TargetLatencyOver(*probe, seconds(2));
  // ~1000 wakeups a second of the target, and no other thread of the host has its name.
  EXPECT_GT(samples.rbegin()->second, 500);
  EXPECT_LT(samples.rbegin()->second, 2 * 1000 + 200);
}

// sched_info reads the scheduler's own queued stamp where tp_btf stamps wakeups itself: run
// side by side on the same target they must see the same switches and the same tail. Short
// waits differ by design: after a wakeup that preempts, the scheduler skips its next clock
// update, so sched_info reads those waits as ~0 where tp_btf sees the few microseconds from
// its wakeup stamp to the switch. Counts within 5% (the two collects are not atomic);
// cumulative counts at every bound from 64 us on within 1% of the samples.
TEST(RunqlatModesTest, SchedInfoAgreesWithTpBtf) {
  TUNESCOPE_REQUIRE_ROOT();
  ChildProcess sleeper([] { PeriodicSleeper(0, std::chrono::microseconds(500), seconds(60)); });
  std::vector<std::unique_ptr<ChildProcess>> hogs;
  hogs.push_back(std::make_unique<ChildProcess>([] { CpuHog(0, seconds(60)); }));
  probes::ProbeConfig config;
  config.target_pids = {sleeper.pid()};
  auto sched_info = StartProbe("runqlat", "sched_info", config);
  auto tp_btf = StartProbe("runqlat", "tp_btf", config);
  ASSERT_NE(sched_info, nullptr);
  ASSERT_NE(tp_btf, nullptr);

  auto si_before = Buckets(sched_info->Collect(), kTarget);
  auto tp_before = Buckets(tp_btf->Collect(), kTarget);
  std::this_thread::sleep_for(seconds(3));
  auto si = Delta(Buckets(sched_info->Collect(), kTarget), si_before);
  auto tp = Delta(Buckets(tp_btf->Collect(), kTarget), tp_before);
  hogs.clear();

  double n = tp.rbegin()->second;
  std::cout << "target samples: sched_info " << si.rbegin()->second << ", tp_btf " << n << "\n";
  ASSERT_GT(n, 500) << "the sleeper wakes ~2000 times a second";
  EXPECT_NEAR(si.rbegin()->second, n, 0.05 * n);
  for (const auto& [le, tp_count] : tp) {
    if (le < 64e-6) continue;
    EXPECT_NEAR(si[le], tp_count, 0.01 * n + 5) << "cumulative count at le=" << le;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, RunqlatKernelTest, ::testing::ValuesIn(ModeNames("runqlat")),
                         ModeParamName);

}  // namespace
}  // namespace tunescope::testing
