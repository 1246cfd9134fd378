#include "metric_naming.h"

#include <gtest/gtest.h>

#include "build_info.h"
#include "metrics/family.h"
#include "probes/catalogue.h"
#include "probes/probe_set.h"

namespace tunescope {
namespace {

using testing::NamingProblems;

TEST(MetricNaming, CheckerRejectsConventionBreaks) {
  std::vector<prometheus::MetricFamily> bad;
  auto add = [&](metrics::Family f) { bad.push_back(f.Take()); };
  add(std::move(metrics::CounterFamily("tunescope_packets", "h").Counter({}, 1)));
  add(std::move(metrics::GaugeFamily("tunescope_queue_total", "h").Gauge({}, 1)));
  add(std::move(metrics::HistogramFamily("tunescope_wait", "h").Histogram({}, {})));
  add(std::move(metrics::GaugeFamily("tunescope_delay_ms", "h").Gauge({}, 1)));
  add(std::move(metrics::GaugeFamily("other_thing", "h").Gauge({}, 1)));
  add(std::move(metrics::GaugeFamily("tunescope_x", "h").Gauge({{"pid", "1"}}, 1)));
  EXPECT_EQ(NamingProblems(bad).size(), 6u);
}

TEST(MetricNaming, DaemonFamiliesFollowConventionsBeforeProbesStart) {
  probes::ProbeSet set;
  for (const auto& entry : probes::Catalogue()) set.Add(entry.make());
  auto families = set.Collect();
  for (auto& f : metrics::MakeSelfRegistry()->Collect()) families.push_back(std::move(f));
  ASSERT_FALSE(families.empty());
  EXPECT_EQ(NamingProblems(families), std::vector<std::string>{});
}

TEST(MetricNaming, UnstartedProbesAreReportedDown) {
  probes::ProbeSet set;
  for (const auto& entry : probes::Catalogue()) set.Add(entry.make());
  for (const auto& f : set.Collect()) {
    if (f.name != "tunescope_probe_up") continue;
    EXPECT_EQ(f.metric.size(), probes::Catalogue().size());
    for (const auto& m : f.metric) EXPECT_EQ(m.gauge.value, 0);
  }
}

}  // namespace
}  // namespace tunescope
