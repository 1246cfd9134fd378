// Each kernel-statistics source against fixture trees: the host parsers it reuses, the series
// it exports (names, labels, values), and how it reports a file it cannot read.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "host/cpu_accounting.h"
#include "host/kernel_config.h"
#include "kernelstats/kernel_stats.h"
#include "kernelstats/sources.h"
#include "metric_lookup.h"
#include "metric_naming.h"

namespace tunescope::kernelstats {
namespace {

using Families = std::vector<prometheus::MetricFamily>;
using testing::FindFamily;
using testing::SumValues;

host::HostPaths Tree(const std::string& name) {
  const std::string root = std::string(TUNESCOPE_KERNELSTATS_FIXTURES) + "/" + name;
  return host::HostPaths{root + "/proc", root + "/sys", root + "/boot"};
}

Families ReadOk(const Source& source) {
  Families out;
  Status s = source.Read(out);
  EXPECT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(testing::NamingProblems(out), std::vector<std::string>{});
  return out;
}

// --- host parsers the sources use ---

TEST(ProcStatCpus, KeepsEveryColumnPerCpu) {
  auto t = host::ReadCpuTicks(Tree("tree4cpu"));
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(t->size(), 4u);  // the "cpu" total line is not a CPU
  EXPECT_EQ(t->at(0).softirq, 1000u);
  EXPECT_EQ(t->at(1).softirq, 200u);
  EXPECT_EQ(t->at(2).irq, 5u);
  EXPECT_EQ(t->at(3).steal, 1u);
  EXPECT_FALSE(host::ParseProcStatCpus("cpu0 1 2 x 4 5 6 7 8\n").ok());
  EXPECT_FALSE(host::ParseProcStatCpus("intr 1\n").ok());
}

TEST(ProcStatCpus, BusyTimeIsUnchangedByTheRefactoring) {
  auto busy = host::ParseProcStatBusy("cpu0 1 2 3 4 5 6 7 8 0 0\n", 100);
  ASSERT_TRUE(busy.ok()) << busy.error();
  EXPECT_DOUBLE_EQ(busy->at(0), (1 + 2 + 3 + 6 + 7 + 8) / 100.0);
}

TEST(ProcSchedstat, ReadsWaitAndTimeslicesOfEachCpu) {
  auto s = host::ReadProcSchedstat(Tree("tree4cpu"));
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ(s->at(0).run_ns, 5000000000u);
  EXPECT_EQ(s->at(0).wait_ns, 1500000000u);
  EXPECT_EQ(s->at(0).timeslices, 12000u);
  EXPECT_EQ(s->at(2).wait_ns, 1000u);
}

TEST(ProcSchedstat, RejectsWhatItCannotRead) {
  EXPECT_FALSE(host::ParseProcSchedstat("cpu0 0 0 0 0 0 0 1 2 3\n").ok());  // no version
  auto old = host::ParseProcSchedstat("version 14\ncpu0 0 0 0 0 0 0 1 2 3\n");
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().find("version 14"), std::string::npos) << old.error();
  auto short_line = host::ParseProcSchedstat("version 17\ncpu0 0 0 0\n", "/x/schedstat");
  ASSERT_FALSE(short_line.ok());
  EXPECT_NE(short_line.error().find("/x/schedstat"), std::string::npos) << short_line.error();
  auto missing = host::ReadProcSchedstat(Tree("bare"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("CONFIG_SCHEDSTATS"), std::string::npos) << missing.error();
  EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
}

TEST(KernelConfig, ParsesSetUnsetAndAbsentOptions) {
  const std::string config = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n";
  EXPECT_EQ(host::ParseConfigOption(config, "CONFIG_A"), "y");
  EXPECT_EQ(host::ParseConfigOption(config, "CONFIG_B"), "n");
  EXPECT_EQ(host::ParseConfigOption(config, "CONFIG_C"), "\"x\"");
  EXPECT_EQ(host::ParseConfigOption(config, "CONFIG_D"), std::nullopt);
  EXPECT_EQ(host::ParseConfigOption(config, "CONFIG_"), std::nullopt);
}

TEST(KernelConfig, IrqTimeAccountingFromBootConfigOrConfigGz) {
  // /boot/config-<release>: built in, not turned off.
  auto boot = host::ReadKernelConfig(Tree("tree4cpu"));
  ASSERT_TRUE(boot.ok()) << boot.error();
  EXPECT_NE(boot->source.find("/boot/config-6.1.0-test-amd64"), std::string::npos);
  EXPECT_EQ(host::ReadIrqTimeAccounting(Tree("tree4cpu")), host::IrqTimeAccounting::kExact);
  // /proc/config.gz: not set.
  auto gz = host::ReadKernelConfig(Tree("gz"));
  ASSERT_TRUE(gz.ok()) << gz.error();
  EXPECT_NE(gz->source.find("/proc/config.gz"), std::string::npos);
  EXPECT_EQ(host::ReadIrqTimeAccounting(Tree("gz")), host::IrqTimeAccounting::kSampled);
  // Neither: unknown.
  EXPECT_FALSE(host::ReadKernelConfig(Tree("bare")).ok());
  EXPECT_EQ(host::ReadIrqTimeAccounting(Tree("bare")), host::IrqTimeAccounting::kUnknown);
}

TEST(KernelConfig, TscNoirqtimeTurnsItOff) {
  const std::string config = "CONFIG_IRQ_TIME_ACCOUNTING=y\n";
  EXPECT_EQ(host::IrqTimeAccountingOf(&config, "root=/dev/sda tsc=noirqtime"),
            host::IrqTimeAccounting::kSampled);
  EXPECT_EQ(host::IrqTimeAccountingOf(&config, "root=/dev/sda tsc=reliable"),
            host::IrqTimeAccounting::kExact);
  // After "--" the arguments are init's, not the kernel's.
  EXPECT_EQ(host::IrqTimeAccountingOf(&config, "quiet -- tsc=noirqtime"),
            host::IrqTimeAccounting::kExact);
}

// --- the sources ---

TEST(SoftirqTimeSource, ExportsTheSoftirqColumnInSecondsAndHowItIsAccounted) {
  SoftirqTime source(Tree("tree4cpu"), host::IrqTimeAccounting::kSampled);
  Families f = ReadOk(source);
  const double tick = 1.0 / static_cast<double>(host::ClockTicksPerSecond());
  EXPECT_DOUBLE_EQ(SumValues(f, "tunescope_kernel_softirq_seconds_total", {{"cpu", "0"}}),
                   1000 * tick);
  EXPECT_DOUBLE_EQ(SumValues(f, "tunescope_kernel_softirq_seconds_total", {{"cpu", "2"}}),
                   34 * tick);
  EXPECT_EQ(FindFamily(f, "tunescope_kernel_softirq_seconds_total")->metric.size(), 4u);
  EXPECT_EQ(
      SumValues(f, "tunescope_kernel_softirq_accounting_info", {{"accounting", "tick_sampled"}}),
      1);
}

TEST(SoftirqRunsSource, ExportsEachVectorOnEachCpuLowercased) {
  Families f = ReadOk(SoftirqRuns(Tree("tree4cpu")));
  const auto* runs = FindFamily(f, "tunescope_kernel_softirq_runs_total");
  ASSERT_NE(runs, nullptr);
  EXPECT_EQ(runs->metric.size(), 40u);  // 10 vectors x 4 CPUs
  EXPECT_EQ(SumValues(f, runs->name, {{"cpu", "0"}, {"vector", "net_rx"}}), 50000);
  EXPECT_EQ(SumValues(f, runs->name, {{"cpu", "3"}, {"vector", "net_tx"}}), 40);
  EXPECT_EQ(SumValues(f, runs->name, {{"vector", "net_rx"}}), 54320);
  EXPECT_EQ(VectorLabel("IRQ_POLL"), "irq_poll");
}

TEST(RunqueueSource, ExportsWaitSecondsAndTimeslicesPerCpu) {
  Families f = ReadOk(Runqueue(Tree("tree4cpu")));
  EXPECT_DOUBLE_EQ(SumValues(f, "tunescope_kernel_runqueue_wait_seconds_total", {{"cpu", "0"}}),
                   1.5);
  EXPECT_DOUBLE_EQ(SumValues(f, "tunescope_kernel_runqueue_wait_seconds_total", {{"cpu", "1"}}),
                   0.25);
  EXPECT_EQ(SumValues(f, "tunescope_kernel_runqueue_timeslices_total", {{"cpu", "0"}}), 12000);
  EXPECT_EQ(FindFamily(f, "tunescope_kernel_runqueue_timeslices_total")->metric.size(), 4u);
}

TEST(ListenDropsSource, ExportsListenOverflowsAndDrops) {
  Families f = ReadOk(ListenDrops(Tree("tree4cpu"), {}, {}));
  EXPECT_EQ(SumValues(f, "tunescope_kernel_listen_overflows_total"), 17);
  EXPECT_EQ(SumValues(f, "tunescope_kernel_listen_drops_total"), 19);
}

TEST(ListenDropsSource, ReadsTheTargetsNetworkNamespace) {
  // pid 700's ns/net link differs from self's (a container): its own netstat counts.
  Families in_container = ReadOk(ListenDrops(Tree("tree4cpu"), {700}, {}));
  EXPECT_EQ(SumValues(in_container, "tunescope_kernel_listen_overflows_total"), 250);
  EXPECT_EQ(SumValues(in_container, "tunescope_kernel_listen_drops_total"), 260);
  // pid 800 shares the daemon's namespace (its net is /proc/net, as the kernel's is).
  Families shared = ReadOk(ListenDrops(Tree("tree4cpu"), {800}, {}));
  EXPECT_EQ(SumValues(shared, "tunescope_kernel_listen_overflows_total"), 17);
  // Named but not running: no namespace to read, rather than the host's counters.
  std::vector<prometheus::MetricFamily> none;
  EXPECT_FALSE(ListenDrops(Tree("tree4cpu"), {}, {"not-running"}).Read(none).ok());
  EXPECT_TRUE(none.empty());
}

TEST(SoftnetSource, ExportsProcessedDroppedSqueezedByCpuColumn) {
  Families f = ReadOk(Softnet(Tree("tree4cpu")));
  EXPECT_EQ(SumValues(f, "tunescope_kernel_softnet_processed_total", {{"cpu", "0"}}), 0x0a1b2c3d);
  EXPECT_EQ(SumValues(f, "tunescope_kernel_softnet_dropped_total", {{"cpu", "0"}}), 16);
  EXPECT_EQ(SumValues(f, "tunescope_kernel_softnet_times_squeezed_total", {{"cpu", "0"}}), 1000);
  EXPECT_EQ(SumValues(f, "tunescope_kernel_softnet_times_squeezed_total", {{"cpu", "1"}}), 2);
  // The fixture's third line is CPU 3 (CPU 2 offline): the CPU-index column names it.
  EXPECT_EQ(SumValues(f, "tunescope_kernel_softnet_dropped_total", {{"cpu", "3"}}), 1);
  EXPECT_EQ(FindFamily(f, "tunescope_kernel_softnet_dropped_total")->metric.size(), 4u);
}

TEST(TargetSchedSource, SumsTheThreadsOfPidsAndComms) {
  // --target-pid=700: both its threads.
  Families by_pid = ReadOk(TargetSched(Tree("tree4cpu"), {700}, {}));
  EXPECT_EQ(SumValues(by_pid, "tunescope_kernel_target_threads"), 2);
  EXPECT_DOUBLE_EQ(SumValues(by_pid, "tunescope_kernel_target_run_seconds_total"), 5.0);
  EXPECT_DOUBLE_EQ(SumValues(by_pid, "tunescope_kernel_target_wait_seconds_total"), 0.5);
  EXPECT_EQ(SumValues(by_pid, "tunescope_kernel_target_timeslices_total"), 150);
  // --target-comm=server: thread 700 and process 800's thread, not "worker".
  Families by_comm = ReadOk(TargetSched(Tree("tree4cpu"), {}, {"server"}));
  EXPECT_EQ(SumValues(by_comm, "tunescope_kernel_target_threads"), 2);
  EXPECT_DOUBLE_EQ(SumValues(by_comm, "tunescope_kernel_target_wait_seconds_total"), 0.425);
  // Nothing matches: 0 threads, zero counters, still up.
  Families none = ReadOk(TargetSched(Tree("tree4cpu"), {}, {"nginx"}));
  EXPECT_EQ(SumValues(none, "tunescope_kernel_target_threads"), 0);
  EXPECT_NE(FindFamily(none, "tunescope_kernel_target_wait_seconds_total"), nullptr);
}

host::ThreadAccounting Thread(int tid, std::uint64_t run, std::uint64_t wait,
                              std::uint64_t slices) {
  host::ThreadAccounting t;
  t.pid = 1;
  t.tid = tid;
  t.schedstat = host::SchedStat{run, wait, slices};
  return t;
}

TEST(ThreadSums, NeverGoDownWhenThreadsExitOrTidsAreReused) {
  ThreadSums sums;
  auto s = sums.Update({Thread(1, 100, 10, 1), Thread(2, 200, 20, 2)});
  EXPECT_EQ(s.wait_ns, 30u);
  s = sums.Update({Thread(1, 150, 15, 3), Thread(2, 260, 26, 4)});
  EXPECT_EQ(s.run_ns, 410u);
  EXPECT_EQ(s.wait_ns, 41u);
  EXPECT_EQ(s.timeslices, 7u);
  // Thread 2 exits: what it had is kept; a new thread 3 brings its whole history.
  s = sums.Update({Thread(1, 150, 15, 3), Thread(3, 5, 1, 1)});
  EXPECT_EQ(s.wait_ns, 42u);
  // TID 1 reused by a new thread (its counters restart lower): counted from zero.
  s = sums.Update({Thread(1, 7, 2, 1), Thread(3, 5, 1, 1)});
  EXPECT_EQ(s.wait_ns, 44u);
  EXPECT_EQ(s.timeslices, 9u);
  // A thread whose schedstat is unreadable once adds nothing then, and only its growth after.
  host::ThreadAccounting unreadable;
  unreadable.tid = 3;
  EXPECT_EQ(sums.Update({Thread(1, 7, 2, 1), unreadable}).wait_ns, 44u);
  EXPECT_EQ(sums.Update({Thread(1, 7, 2, 1), Thread(3, 5, 4, 1)}).wait_ns, 47u);
}

TEST(KernelStats, ExportsEverySourceWithItsUpStateAndCleanNames) {
  auto stats = MakeKernelStats({Tree("tree4cpu"), {700}, {}});
  Families f = stats->Collect();
  EXPECT_EQ(testing::NamingProblems(f), std::vector<std::string>{});
  for (const char* source :
       {"stat", "softirqs", "schedstat", "netstat", "softnet_stat", "target_schedstat"}) {
    EXPECT_EQ(SumValues(f, "tunescope_kernel_source_up", {{"source", source}}), 1) << source;
  }
  EXPECT_EQ(SumValues(f, "tunescope_kernel_softirq_accounting_info", {{"accounting", "exact"}}), 1);
  // Every family once: two families of one name would break the exposition.
  std::set<std::string> names;
  for (const auto& family : f) EXPECT_TRUE(names.insert(family.name).second) << family.name;
  // The kernel tier never reuses a probe's name.
  for (const auto& name : names) {
    EXPECT_TRUE(name.rfind("tunescope_kernel_", 0) == 0) << name;
  }
}

TEST(KernelStats, UnreadableSourcesAreDownAndExportNothingElse) {
  auto stats = MakeKernelStats({Tree("bare"), {}, {}});  // only /proc/stat exists
  Families f = stats->Collect();
  EXPECT_EQ(SumValues(f, "tunescope_kernel_source_up", {{"source", "stat"}}), 1);
  for (const char* source : {"softirqs", "schedstat", "netstat", "softnet_stat"}) {
    EXPECT_EQ(SumValues(f, "tunescope_kernel_source_up", {{"source", source}}), 0) << source;
  }
  // No target given: no target source at all.
  EXPECT_EQ(FindFamily(f, "tunescope_kernel_target_threads"), nullptr);
  EXPECT_EQ(FindFamily(f, "tunescope_kernel_runqueue_wait_seconds_total"), nullptr);
  EXPECT_EQ(SumValues(f, "tunescope_kernel_softirq_accounting_info", {{"accounting", "unknown"}}),
            1);
  // A scrape later the same: the first failure is logged once, not on every scrape.
  EXPECT_EQ(stats->Collect().size(), f.size());
}

}  // namespace
}  // namespace tunescope::kernelstats
