// Every probe of the catalogue starts on this kernel, and everything they export together
// follows the naming conventions and is declared in the probe's catalogue row.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "host/sysctl.h"
#include "metric_lookup.h"
#include "metric_naming.h"
#include "probe_harness.h"
#include "probes/bpf_stats.h"
#include "probes/catalogue.h"
#include "probes/probe_set.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

TEST(AllProbes, StartInTheirBestModeAndExportConventionalNames) {
  TUNESCOPE_REQUIRE_ROOT();
  probes::ProbeSet set;
  // As with --probes=all: every probe named, so opt-in modes may be chosen.
  for (const auto& entry : probes::Catalogue()) set.Add(entry.make(), "", true);
  set.StartAll({});
  for (const auto& status : set.Statuses()) {
    EXPECT_TRUE(status.up) << status.name << ": " << status.error;
  }
  LoopbackTcpTransfer(4u << 20);
  auto families = set.Collect();
  EXPECT_EQ(NamingProblems(families), std::vector<std::string>{});
  EXPECT_GT(SumValues(families, "tunescope_softirq_runs_total"), 0);
  set.StopAll();
}

// experiment stops the probes before its rounds; statistics left on would slow every other BPF
// program on the host in them. A program loaded outside the set shows whether the kernel still
// counts: run counts grow only while statistics are on.
TEST(AllProbes, StopAllTurnsTheKernelsProgramStatisticsOff) {
  TUNESCOPE_REQUIRE_ROOT();
  auto enabled = host::ReadSysctlInt(host::HostPaths{}, "kernel.bpf_stats_enabled");
  ASSERT_TRUE(enabled && *enabled && **enabled == 0)
      << "kernel.bpf_stats_enabled is on: it keeps statistics on whatever the set does";
  auto witness = StartProbe("softirq");
  ASSERT_NE(witness, nullptr);
  const bpf_program* prog = witness->LoadedPrograms().front();
  auto runs = [&] { return probes::ReadProgramRun(prog).value_or(probes::ProgramRun{}).runs; };

  probes::ProbeSet set;
  set.Add(probes::FindProbe("runqlat")->make(), "", false);
  ASSERT_TRUE(set.EnableProgramStats().ok());
  ASSERT_EQ(set.StartAll({}), 1u);
  EXPECT_TRUE(probes::BpfStats::Active());
  const auto on_before = runs();
  LoopbackTcpTransfer(32u << 20);
  const auto on_after = runs();
  ASSERT_GT(on_after, on_before + 50) << "the witness barely ran with statistics on";

  set.StopAll();
  EXPECT_FALSE(probes::BpfStats::Active());
  LoopbackTcpTransfer(32u << 20);
  const auto off_after = runs();
  std::cout << "witness runs counted: " << on_after - on_before << " with statistics on, "
            << off_after - on_after << " after StopAll() for the same traffic\n";
  // Not zero: another process on the host (a daemon a test before this one is still
  // stopping) may turn statistics on for a moment.
  EXPECT_LT((off_after - on_after) * 10, on_after - on_before)
      << "the kernel still counts after StopAll()";
  witness->Stop();
}

// The advisor's names are checked against the declared ones (tests/advisor/metric_names_test.cpp):
// a family exported but not declared would escape that check.
TEST(AllProbes, ExportOnlyTheMetricsTheyDeclare) {
  TUNESCOPE_REQUIRE_ROOT();
  for (const auto& entry : probes::Catalogue()) {
    auto probe = StartProbe(std::string(entry.name));
    if (!probe) continue;
    LoopbackTcpTransfer(1u << 20);
    // Only families with samples are exported: without targets or interrupts some are none.
    for (const auto& f : probe->Collect()) {
      EXPECT_NE(std::find(entry.metrics.begin(), entry.metrics.end(), f.name), entry.metrics.end())
          << entry.name << " exports " << f.name << ", not in its <probe>_metrics.h";
    }
    probe->Stop();
  }
}

}  // namespace
}  // namespace tunescope::testing
