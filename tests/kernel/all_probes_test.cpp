// Every probe of the catalogue starts on this kernel, and everything they export together
// follows the naming conventions.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tunescope::testing
