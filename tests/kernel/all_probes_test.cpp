// Every probe of the catalogue starts on this kernel, and everything they export together
// follows the naming conventions and is declared in the probe's catalogue row.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "metric_lookup.h"
#include "metric_naming.h"
#include "probe_harness.h"
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
