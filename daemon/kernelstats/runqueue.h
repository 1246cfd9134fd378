// /proc/schedstat (CONFIG_SCHEDSTATS): per CPU, the time runnable tasks waited on its run
// queue and the timeslices run there (tunescope_kernel_runqueue_*_total{cpu}).
#pragma once

#include "kernelstats/source.h"

namespace tunescope::kernelstats {

class Runqueue : public Source {
 public:
  using Source::Source;
  std::string_view name() const override { return "schedstat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;
};

}  // namespace tunescope::kernelstats
