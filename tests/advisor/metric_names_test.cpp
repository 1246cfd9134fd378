// The rules read metrics by name: each name must be one a probe of the catalogue declares
// (its <probe>_metrics.h), or the rule would wait for a metric nothing exports.
#include <gtest/gtest.h>

#include <string_view>

#include "advisor/rules.h"
#include "probes/catalogue.h"

namespace tunescope::advisor {
namespace {

// The probe that declares `name`, or empty.
std::string_view DeclaringProbe(std::string_view name) {
  for (const probes::CatalogueEntry& entry : probes::Catalogue()) {
    for (std::string_view declared : entry.metrics) {
      if (declared == name) return entry.name;
    }
  }
  return {};
}

TEST(MetricNames, EveryNameARuleReadsIsDeclaredByAProbe) {
  for (const char* name : kRuleMetrics) {
    EXPECT_FALSE(DeclaringProbe(name).empty()) << name << " is declared by no probe";
  }
}

TEST(MetricNames, EveryProbeDeclaresItsMetricsOnce) {
  for (const probes::CatalogueEntry& entry : probes::Catalogue()) {
    EXPECT_FALSE(entry.metrics.empty()) << entry.name << " declares no metric";
    for (std::string_view name : entry.metrics) {
      EXPECT_EQ(DeclaringProbe(name), entry.name) << name << " is declared by another probe too";
      EXPECT_TRUE(name.starts_with("tunescope_")) << name;
    }
  }
}

TEST(MetricNames, DeclaringProbeMatchesWholeNamesOnly) {
  EXPECT_EQ(DeclaringProbe("tunescope_qdisc_seconds_total"), "qdisc");
  EXPECT_TRUE(DeclaringProbe("tunescope_qdisc_second_total").empty());
}

}  // namespace
}  // namespace tunescope::advisor
