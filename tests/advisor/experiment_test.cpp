// The experiment command's helpers and its refusals: everything it checks before touching a
// setting (the app layer, beside the catalogue it reads).
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "experiment.h"

namespace tunescope::advisor {
namespace {

TEST(ExperimentHelpers, CpuMasksAndRequestsPerSecond) {
  EXPECT_EQ(AllCpusMask(1), "1");
  EXPECT_EQ(AllCpusMask(2), "3");
  EXPECT_EQ(AllCpusMask(32), "ffffffff");
  EXPECT_EQ(AllCpusMask(33), "1,ffffffff");
  EXPECT_DOUBLE_EQ(ParseRequestsPerSecond("  Latency 1ms\nRequests/sec:  12345.67\n"), 12345.67);
  EXPECT_LT(ParseRequestsPerSecond("no number here"), 0);
  EXPECT_LT(ParseRequestsPerSecond("Requests/sec: oops"), 0);
}

int Experiment(std::vector<std::string_view> args) {
  return RunExperiment(args);
}

TEST(ExperimentFlags, RefusalsAndUsageErrorsExitTwoWithoutTouchingAnything) {
  // Without --yes.
  EXPECT_EQ(Experiment({"--tuning", "busy_poll", "--load", "true"}), 2);
  // Weakens security, even with --yes.
  EXPECT_EQ(Experiment({"--tuning", "mitigations_off", "--load", "true", "--yes"}), 2);
  EXPECT_EQ(Experiment({"--tuning", "netfilter_unload", "--load", "true", "--yes"}), 2);
  // Not automated (not exactly reversible by tunescope).
  EXPECT_EQ(Experiment({"--tuning", "irq_affinity", "--load", "true", "--yes"}), 2);
  // Bad flags.
  EXPECT_EQ(Experiment({"--tuning", "nope", "--load", "true", "--yes"}), 2);
  EXPECT_EQ(Experiment({"--tuning", "busy_poll", "--yes"}), 2);
  EXPECT_EQ(Experiment({"--tuning", "busy_poll", "--load", "true", "--duration", "x", "--yes"}), 2);
  EXPECT_EQ(Experiment({"--bogus"}), 2);
}

}  // namespace
}  // namespace tunescope::advisor
