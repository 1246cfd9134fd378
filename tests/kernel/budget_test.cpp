// --overhead-budget on the running kernel: softirq (every run timed) and runqlat attached in
// windows under real loopback TCP traffic from this test, with windows that would cost several
// times the budget at their configured length. The window scheduler must shorten them so that
// the programs' run time over the whole test, measured with the kernel's BPF statistics on
// throughout (by the test, not only inside windows), stays within the budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "metric_lookup.h"
#include "probes/catalogue.h"
#include "probes/overhead.h"
#include "probes/probe_set.h"
#include "probes/window_scheduler.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

using std::chrono::milliseconds;

double AttachedSeconds(const probes::ProbeSet& set, const std::string& probe) {
  return SumValues(set.Collect(), "tunescope_probe_attached_seconds_total", {{"probe", probe}});
}

TEST(OverheadBudget, ProgramTimeStaysWithinATinyBudget) {
  TUNESCOPE_REQUIRE_ROOT();
  constexpr double kBudget = 0.002;                                          // 0.2% of one CPU
  const probes::AttachWindow window{milliseconds(500), milliseconds(1000)};  // 50% unchecked
  // Loopback TCP in a child process on each CPU, enough softirq runs that the configured
  // windows cost several times the budget (one unpinned child gave 0.006-0.034 CPU s per
  // attached second). Their CPU is not the daemon's: RUSAGE_SELF leaves it out. Forked before
  // any probe loads: a child forked later would hold copies of the bpf_link fds and keep the
  // programs attached between windows.
  std::vector<std::unique_ptr<ChildProcess>> traffic;
  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < 2; ++i) {
    traffic.push_back(std::make_unique<ChildProcess>([cpu = i % cpus] {
      PinToCpu(cpu);
      for (;;) LoopbackTcpTransfer(size_t{256} << 20);
    }));
  }
  auto set = std::make_shared<probes::ProbeSet>();
  set->Add(probes::FindProbe("softirq")->make(), "", false, /*windowed=*/true);
  set->Add(probes::FindProbe("runqlat")->make(), "", false, /*windowed=*/true);
  probes::ProbeConfig config;
  config.softirq_sample = 1;  // two clock reads on every softirq run: a costly probe
  ASSERT_EQ(set->StartAll(config), 2u);
  // Statistics on for the whole test: the program time between windows counts too.
  probes::BpfStats stats;
  ASSERT_TRUE(stats.Enable().ok());

  auto overhead = std::make_shared<probes::OverheadMetrics>(kBudget, 0.5);
  const probes::ProbeSet::ProgramTime before = set->ProgramRunTime();
  const auto t0 = std::chrono::steady_clock::now();
  {
    probes::WindowScheduler scheduler(set, window, {}, {kBudget, overhead});
    scheduler.Start();
    std::this_thread::sleep_for(milliseconds(8000));
    scheduler.Stop();
  }
  set->DetachWindowed();  // Stop() may have come inside a window
  const probes::ProbeSet::ProgramTime after = set->ProgramRunTime();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  traffic.clear();

  const double program_s = after.windowed_s - before.windowed_s;
  const double attached_s = AttachedSeconds(*set, "softirq");
  ASSERT_GT(attached_s, 0) << "no window opened: nothing was measured";
  ASSERT_GT(program_s, 0) << "the programs never ran: no traffic?";
  const double cost_per_attached_s = program_s / attached_s;
  std::cout << program_s << " s of programs in " << wall << " s, " << attached_s
            << " s attached: " << cost_per_attached_s << " CPU s per attached second\n";
  // The test means something only if the configured windows would break the budget.
  ASSERT_GT(cost_per_attached_s * 0.5, 2 * kBudget)
      << "traffic too light: " << cost_per_attached_s << " CPU s per attached second";
  EXPECT_LE(program_s / wall, kBudget)
      << program_s << " s of programs in " << wall << " s, " << attached_s << " s attached";
  EXPECT_LT(overhead->duty(), 0.5) << "the duty in force is the budget's, not --window's";
  set->StopAll();
}

}  // namespace
}  // namespace tunescope::testing
