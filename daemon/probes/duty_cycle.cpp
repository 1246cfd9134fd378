#include "probes/duty_cycle.h"

#include <algorithm>

namespace tunescope::probes {

double WindowOpenSeconds(double budget, const CostModel& m, const DutyLimits& limits) {
  // CPU seconds the next cycle may spend on the windowed programs.
  const double allowance = budget * limits.every_s + std::min(m.debt_s, 0.0) -
                           std::max(m.fixed_per_s, 0.0) * limits.every_s -
                           std::max(m.per_window_s, 0.0);
  if (m.cost_per_attached_s <= 0) return allowance > 0 ? limits.max_open_s : 0;
  const double open = std::min(allowance / m.cost_per_attached_s, limits.max_open_s);
  if (open <= 0 || open < limits.min_open_s) return 0;
  return open;
}

double DutyCycleController::FirstOpenSeconds() const {
  // At least the shortest window: a budget below what a whole CPU would spend in it must still
  // measure once, or it would never learn that the programs cost far less; an overspend here is
  // a debt the next windows repay.
  return std::max(WindowOpenSeconds(budget_, model_, limits_),
                  std::min(limits_.min_open_s, limits_.max_open_s));
}

double DutyCycleController::Next(const CycleCost& cost) {
  if (cost.elapsed_s > 0) {
    const double spent = cost.windowed_s + cost.fixed_s + cost.per_window_s;
    // The debt is capped at one cycle's budget: a one-off spike (the daemon's start-up work in
    // its first cycle, the first window before anything was measured) skips one window, not
    // the next dozen; a lasting cost is in the rates below and sizes every window.
    model_.debt_s = std::clamp(model_.debt_s + budget_ * cost.elapsed_s - spent,
                               -budget_ * limits_.every_s, 0.0);
    model_.fixed_per_s = cost.fixed_s / cost.elapsed_s;
  }
  // A skipped window measured nothing: the last window's costs stand.
  if (cost.attached_s > 0) {
    model_.cost_per_attached_s = cost.windowed_s / cost.attached_s;
    model_.per_window_s = cost.per_window_s;
  }
  return WindowOpenSeconds(budget_, model_, limits_);
}

}  // namespace tunescope::probes
