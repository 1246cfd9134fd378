// The --overhead-budget controller: window length from measured cost, and the running account
// that makes a first overspent window cost later windows, never an unspent one buy a burst.
#include "probes/duty_cycle.h"

#include <gtest/gtest.h>

namespace tunescope::probes {
namespace {

constexpr DutyLimits kLimits{120, 0.01, 2};  // serve's default 2s/120s

TEST(WindowOpenSeconds, AllowanceOverCostPerAttachedSecond) {
  // 0.5% of 120 s = 0.6 CPU s; at 0.3 CPU s per attached second that is 2 s.
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {0, 0.3, 0, 0}, kLimits), 2.0);
  // Twice the cost: half the window.
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {0, 0.6, 0, 0}, kLimits), 1.0);
}

TEST(WindowOpenSeconds, NeverLongerThanTheConfiguredWindow) {
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {0, 0.001, 0, 0}, kLimits), 2.0);
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {0, 0, 0, 0}, kLimits), 2.0) << "nothing ran: free";
}

TEST(WindowOpenSeconds, FixedCostAndDebtComeFirst) {
  // The daemon's own 0.25% leaves 0.3 CPU s of 0.6: at 0.3 per second, 1 s.
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {0, 0.3, 0.0025, 0}, kLimits), 1.0);
  // A debt of 0.15 CPU s leaves 0.45: 1.5 s.
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {-0.15, 0.3, 0, 0}, kLimits), 1.5);
  // Credit is not banked: a positive account counts as 0.
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {5.0, 0.6, 0, 0}, kLimits), 1.0);
}

TEST(WindowOpenSeconds, WhatOpeningAWindowCostsComesFirst) {
  // The advisor's 0.3 CPU s per window leaves 0.3 of 0.6: at 0.3 per second, 1 s.
  EXPECT_DOUBLE_EQ(WindowOpenSeconds(0.005, {0, 0.3, 0, 0.3}, kLimits), 1.0);
  EXPECT_EQ(WindowOpenSeconds(0.005, {0, 0.3, 0, 0.7}, kLimits), 0) << "opening alone overspends";
}

TEST(DutyCycleController, PerWindowCostHoldsTheBudgetWithShortCycles) {
  // 1 s cycles, 0.5% budget: 5 ms per cycle. Opening a window costs the daemon 4 ms; the
  // programs 5% while attached. Windows open only as far as 1 ms of programs allows.
  const DutyLimits limits{1, 0.01, 0.9};
  DutyCycleController c(0.005, limits);
  double open = c.FirstOpenSeconds();
  double spent = 0;
  for (int i = 0; i < 100; ++i) {
    const double hooks = open > 0 ? 0.004 : 0;
    const CycleCost cost{1, open, 0.05 * open, 0, hooks};
    spent += cost.windowed_s + hooks;
    open = c.Next(cost);
  }
  EXPECT_LE(spent / 100, 0.005 + 1e-4);
  EXPECT_GT(spent / 100, 0.004) << "the budget is used, not starved";
}

TEST(WindowOpenSeconds, SkipsWhenEvenTheShortestWindowOverspends) {
  EXPECT_EQ(WindowOpenSeconds(0.005, {-1.0, 0.3, 0, 0}, kLimits), 0);
  EXPECT_EQ(WindowOpenSeconds(0.005, {0, 0.3, 0.01, 0}, kLimits), 0) << "daemon alone over budget";
  EXPECT_EQ(WindowOpenSeconds(0.005, {-1.0, 0, 0, 0}, kLimits), 0) << "free, but in debt";
  // 0.6 CPU s at 70 CPU s per attached second: 8.6 ms, below the 10 ms minimum.
  EXPECT_EQ(WindowOpenSeconds(0.005, {0, 70, 0, 0}, kLimits), 0);
}

TEST(DutyCycleController, FirstWindowAssumesAWholeCpu) {
  DutyCycleController c(0.005, kLimits);
  EXPECT_DOUBLE_EQ(c.FirstOpenSeconds(), 0.6);
  // 0.01% of 1 s would be 0.1 ms: the first window measures for the shortest one instead.
  DutyCycleController tiny(0.0001, {1, 0.01, 0.5});
  EXPECT_DOUBLE_EQ(tiny.FirstOpenSeconds(), 0.01);
}

// A simulated load whose windowed programs cost `rate` CPU s per attached second: over many
// cycles the spend per second converges to the budget and never exceeds it by more than the
// first window's overshoot.
double SpendPerSecond(double budget, double rate, double fixed_per_s, int cycles) {
  DutyCycleController c(budget, kLimits);
  double open = c.FirstOpenSeconds();
  double spent = 0;
  for (int i = 0; i < cycles; ++i) {
    const CycleCost cost{kLimits.every_s, open, rate * open, fixed_per_s * kLimits.every_s, 0};
    spent += cost.windowed_s + cost.fixed_s;
    open = c.Next(cost);
    EXPECT_GE(open, 0);
    EXPECT_LE(open, kLimits.max_open_s);
  }
  return spent / (cycles * kLimits.every_s);
}

TEST(DutyCycleController, HoldsTheBudgetOverTime) {
  // 4.7% of a CPU while attached (the default set on nginx, pipelined): 2 s windows fit.
  EXPECT_LE(SpendPerSecond(0.005, 0.047, 0, 100), 0.005 + 1e-12);
  // 1.5 CPU (all probes on a busy host): windows of 0.4 s, the budget exactly.
  EXPECT_NEAR(SpendPerSecond(0.005, 1.5, 0, 100), 0.005, 1e-4);
  EXPECT_NEAR(SpendPerSecond(0.005, 1.5, 0.002, 100), 0.005, 1e-4);
}

TEST(DutyCycleController, RepaysAnOverspentWindow) {
  DutyCycleController c(0.005, kLimits);
  // 0.5 s at 1.2 CPU s per second: 0.6 CPU s, and the daemon's own 0.3: 0.3 over.
  double open = c.Next({120, 0.5, 0.6, 0.3});
  EXPECT_NEAR(c.model().debt_s, -0.3, 1e-9);
  // 0.6 - 0.3 debt - 0.3 fixed leaves nothing: skip.
  EXPECT_EQ(open, 0);
  open = c.Next({120, 0, 0, 0});
  EXPECT_NEAR(c.model().debt_s, 0, 1e-9);
  EXPECT_NEAR(open, 0.5, 1e-9) << "debt repaid: 0.6 CPU s at 1.2 per second";
  EXPECT_DOUBLE_EQ(c.model().cost_per_attached_s, 1.2) << "skipped cycles keep the last rate";
}

TEST(DutyCycleController, ASpikeCostsOneWindowAtMost) {
  DutyCycleController c(0.005, kLimits);
  // Start-up work: 5 CPU s in the first cycle, 8 cycles' budget; the debt stops at one.
  EXPECT_EQ(c.Next({120, 0.6, 0.006, 5.0}), 0);
  EXPECT_NEAR(c.model().debt_s, -0.6, 1e-9);
  EXPECT_EQ(c.Next({120, 0, 0, 0}), 2.0) << "one cycle skipped repays the capped debt";
}

TEST(DutyCycleController, NoLoadMeansFullWindows) {
  DutyCycleController c(0.005, kLimits);
  EXPECT_DOUBLE_EQ(c.Next({120, 0.6, 0, 0}), 2.0);
}

}  // namespace
}  // namespace tunescope::probes
