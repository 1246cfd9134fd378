// /proc/net/softnet_stat: per CPU, packets the receive softirq processed, dropped (backlog
// full) and times it ran out of budget with work left (tunescope_kernel_softnet_*_total{cpu}).
#pragma once

#include "kernelstats/source.h"

namespace tunescope::kernelstats {

class Softnet : public Source {
 public:
  using Source::Source;
  std::string_view name() const override { return "softnet_stat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;
};

}  // namespace tunescope::kernelstats
