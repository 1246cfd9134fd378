// The softirq probe, in each of its modes, against the kernel's own /proc/softirqs counters
// under real loopback traffic.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "metric_lookup.h"
#include "probe_harness.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

// Sum over CPUs of one row of /proc/softirqs ("NET_RX:").
double ProcSoftirqs(const std::string& row) {
  std::ifstream f("/proc/softirqs");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string name;
    in >> name;
    if (name != row + ":") continue;
    double sum = 0, v = 0;
    while (in >> v) sum += v;
    return sum;
  }
  return -1;
}

class SoftirqKernelTest : public ::testing::TestWithParam<std::string> {};

// /proc/softirqs counts one per handler run of a vector, exactly the events the probe sees,
// so the deltas over the same window agree; the tolerance covers runs that fall between the
// two back-to-back reads and eth0 traffic of the host (a few per second).
TEST_P(SoftirqKernelTest, NetRxRunsAgreeWithProcSoftirqs) {
  TUNESCOPE_REQUIRE_ROOT();
  probes::ProbeConfig every_run;
  every_run.softirq_sample = 1;
  auto probe = StartProbe("softirq", GetParam(), every_run);
  ASSERT_NE(probe, nullptr);
  LabelFilter net_rx{{"vector", "net_rx"}};

  auto before = probe->Collect();
  double proc_before = ProcSoftirqs("NET_RX");
  LoopbackTcpTransfer(64u << 20);
  double proc_after = ProcSoftirqs("NET_RX");
  auto after = probe->Collect();

  double proc_delta = proc_after - proc_before;
  double probe_runs = SumValues(after, "tunescope_softirq_runs_total", net_rx) -
                      SumValues(before, "tunescope_softirq_runs_total", net_rx);
  double probe_seconds = SumValues(after, "tunescope_softirq_seconds_total", net_rx) -
                         SumValues(before, "tunescope_softirq_seconds_total", net_rx);
  std::cout << "NET_RX runs: probe " << probe_runs << ", /proc/softirqs " << proc_delta << "\n";
  ASSERT_GT(proc_delta, 100) << "64 MiB over loopback must run NET_RX many times";
  EXPECT_NEAR(probe_runs, proc_delta, 0.02 * proc_delta + 20)
      << "probe " << probe_runs << " vs /proc/softirqs " << proc_delta;
  EXPECT_GT(probe_seconds, 0);
  EXPECT_LT(probe_seconds, 30) << "more NET_RX time than the test's wall time";

  auto durations = Buckets(after, "tunescope_softirq_duration_seconds", net_rx);
  ASSERT_FALSE(durations.empty());
  EXPECT_GE(durations.rbegin()->second, probe_runs) << "every run lands in the histogram";
}

// The raise-to-run delay is opt-in: without it no raise program runs and no family is exported.
TEST_P(SoftirqKernelTest, NetRxRaiseDelayOnlyWhenAsked) {
  TUNESCOPE_REQUIRE_ROOT();
  probes::ProbeConfig config;
  config.softirq_raise_delay = true;
  auto with_delay = StartProbe("softirq", GetParam(), config);
  auto without = StartProbe("softirq", GetParam());
  ASSERT_NE(with_delay, nullptr);
  ASSERT_NE(without, nullptr);
  EXPECT_EQ(with_delay->LoadedPrograms().size(), without->LoadedPrograms().size() + 1);
  LoopbackTcpTransfer(8u << 20);
  auto raise = Buckets(with_delay->Collect(), "tunescope_softirq_net_rx_raise_delay_seconds");
  ASSERT_FALSE(raise.empty());
  EXPECT_GT(raise.rbegin()->second, 0);
  EXPECT_TRUE(Buckets(without->Collect(), "tunescope_softirq_net_rx_raise_delay_seconds").empty());
}

// --softirq.sample=8 beside an exact probe on the same traffic: runs are still counted
// exactly, 1 in 8 of them is timed, and 8 x their time estimates the exact total. Bulk NET_RX
// runs are alike, so a few hundred timed runs land well inside the tolerance.
TEST(SoftirqSampling, OneInEightTimedRunsEstimateTheExactTime) {
  TUNESCOPE_REQUIRE_ROOT();
  probes::ProbeConfig exact_config;
  exact_config.softirq_sample = 1;
  probes::ProbeConfig sampled_config;
  sampled_config.softirq_sample = 8;
  auto exact = StartProbe("softirq", "", exact_config);
  auto sampled = StartProbe("softirq", "", sampled_config);
  ASSERT_NE(exact, nullptr);
  ASSERT_NE(sampled, nullptr);
  LabelFilter net_rx{{"vector", "net_rx"}};
  auto delta = [&](const probes::Probe& p, const auto& before, const char* name) {
    return SumValues(p.Collect(), name, net_rx) - SumValues(before, name, net_rx);
  };
  auto timed = [&](const std::vector<prometheus::MetricFamily>& families) {
    auto b = Buckets(families, "tunescope_softirq_duration_seconds", net_rx);
    return b.empty() ? 0.0 : b.rbegin()->second;
  };

  auto exact_before = exact->Collect();
  auto sampled_before = sampled->Collect();
  // 512 MiB: a few thousand NET_RX runs, so that an eighth of them estimates the time well
  // (128 MiB gave 2,644 runs and once a 42% error).
  LoopbackTcpTransfer(512u << 20);
  double exact_runs = delta(*exact, exact_before, "tunescope_softirq_runs_total");
  double sampled_runs = delta(*sampled, sampled_before, "tunescope_softirq_runs_total");
  double exact_seconds = delta(*exact, exact_before, "tunescope_softirq_seconds_total");
  double sampled_seconds = delta(*sampled, sampled_before, "tunescope_softirq_seconds_total");
  double sampled_timed = timed(sampled->Collect()) - timed(sampled_before);
  std::cout << "NET_RX runs: exact " << exact_runs << ", sampled " << sampled_runs << " ("
            << sampled_timed << " timed); seconds: exact " << exact_seconds << ", sampled "
            << sampled_seconds << "\n";

  ASSERT_GT(exact_runs, 800) << "128 MiB over loopback must run NET_RX many times";
  EXPECT_NEAR(sampled_runs, exact_runs, 0.02 * exact_runs + 20);
  // Every 8th run of each CPU's NET_RX: at most one more per CPU than an eighth.
  EXPECT_NEAR(sampled_timed, sampled_runs / 8, 0.02 * sampled_runs / 8 + 4);
  EXPECT_NEAR(sampled_seconds, exact_seconds, 0.3 * exact_seconds);
}

INSTANTIATE_TEST_SUITE_P(Modes, SoftirqKernelTest, ::testing::ValuesIn(ModeNames("softirq")),
                         ModeParamName);

}  // namespace
}  // namespace tunescope::testing
