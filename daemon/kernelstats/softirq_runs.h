// /proc/softirqs: tunescope_kernel_softirq_runs_total{cpu,vector}, the kernel's own count of
// the runs the softirq probe counts in windows (tunescope_softirq_runs_total).
#pragma once

#include "kernelstats/source.h"

namespace tunescope::kernelstats {

class SoftirqRuns : public Source {
 public:
  using Source::Source;
  std::string_view name() const override { return "softirqs"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;
};

// "NET_RX" -> "net_rx", as the softirq probe labels vectors.
std::string VectorLabel(std::string_view kernel_name);

}  // namespace tunescope::kernelstats
