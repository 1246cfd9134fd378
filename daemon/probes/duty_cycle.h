// The attach windows' duty cycle under --overhead-budget: how long the next window may stay
// open so that tunescope's cost, averaged over time, stays within a share of one CPU. Pure
// arithmetic on what the window scheduler measured (the programs' run time from the kernel's
// BPF statistics, the daemon's own CPU), so that it is unit-tested without a kernel.
#pragma once

namespace tunescope::probes {

struct DutyLimits {
  double every_s = 120;   // one window starts every `every_s`
  double min_open_s = 0;  // a shorter window is not worth opening: the cycle is skipped
  double max_open_s = 2;  // the configured --window OPEN: the budget only shortens windows
};

// What one cycle (a window and the gap after it) cost, in CPU seconds.
struct CycleCost {
  double elapsed_s = 0;   // wall time of the cycle
  double attached_s = 0;  // time the windowed probes were attached in it (0: skipped)
  double windowed_s = 0;  // run time of the windowed probes' programs while attached
  // Cost paid whether or not the windows open: the daemon's own CPU outside the window, and
  // the continuous probes' programs (measured while attached, extrapolated to the cycle).
  double fixed_s = 0;
  // The daemon's own CPU from the window's before_attach hook to its after_detach hook: what
  // opening a window costs whatever its length (the advisor reads the host and ranks there).
  double per_window_s = 0;
};

// What the next window is sized from: the debt carried from earlier cycles (<= 0, CPU seconds
// spent beyond the budget), the windowed programs' cost per attached second, the fixed cost per
// second and what opening a window costs the daemon.
struct CostModel {
  double debt_s = 0;
  double cost_per_attached_s = 1;
  double fixed_per_s = 0;
  double per_window_s = 0;
};

// The next window's length in seconds for a budget (share of one CPU). 0 means skip the
// window: even the shortest one would overspend.
double WindowOpenSeconds(double budget, const CostModel& model, const DutyLimits& limits);

// Keeps the running account over cycles. Unspent budget is not banked (a quiet hour must not
// buy a burst that costs the server later); overspending, as in the first window before
// anything was measured or after traffic grew, is a debt the next windows repay, up to one
// cycle's budget.
class DutyCycleController {
 public:
  DutyCycleController(double budget, DutyLimits limits) : budget_(budget), limits_(limits) {}

  // Before any measurement: as if the windowed programs took a whole CPU while attached, but
  // never shorter than the shortest window.
  double FirstOpenSeconds() const;
  // Records the cycle that ended and returns the next window's length (0: skip it).
  double Next(const CycleCost& cost);

  const CostModel& model() const { return model_; }

 private:
  double budget_;
  DutyLimits limits_;
  CostModel model_;  // cost_per_attached_s: a whole CPU until measured
};

}  // namespace tunescope::probes
