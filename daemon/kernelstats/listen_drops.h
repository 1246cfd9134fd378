// /proc/net/netstat of the daemon's network namespace: connections dropped at a listening
// socket (tunescope_kernel_listen_{overflows,drops}_total).
#pragma once

#include "kernelstats/source.h"

namespace tunescope::kernelstats {

class ListenDrops : public Source {
 public:
  using Source::Source;
  std::string_view name() const override { return "netstat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;
};

}  // namespace tunescope::kernelstats
