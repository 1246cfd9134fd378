// tunescope's own cost as metrics, next to the --overhead-budget it keeps: the daemon's CPU
// (its threads; the BPF programs run in other tasks' time and are counted in
// tunescope_bpf_program_run_seconds_total), the budget, and the attach windows' duty cycle
// in force, which the window scheduler sets from what it measured.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <vector>

namespace tunescope::probes {

inline constexpr char kSelfCpuSeconds[] = "tunescope_self_cpu_seconds_total";
inline constexpr char kWindowDutyRatio[] = "tunescope_window_duty_ratio";
inline constexpr char kOverheadBudgetRatio[] = "tunescope_overhead_budget_ratio";

// User + system CPU of every thread of this process and of its waited-for children
// (getrusage), in seconds.
double SelfCpuSeconds();

class OverheadMetrics : public prometheus::Collectable {
 public:
  // `budget`: share of one CPU, 0 when none is kept. `duty`: share of time the windowed probes
  // attach (1: for good).
  OverheadMetrics(double budget, double duty) : budget_(budget), duty_(duty) {}
  void SetDuty(double duty) { duty_.store(duty); }
  double duty() const { return duty_.load(); }
  // No windowed probe came up: everything up is attached for good and no budget is kept.
  void NothingWindowed() {
    budget_.store(0);
    duty_.store(1);
  }
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::atomic<double> budget_;
  std::atomic<double> duty_;
};

}  // namespace tunescope::probes
