// /proc/stat's softirq column per CPU: tunescope_kernel_softirq_seconds_total{cpu}, and how the
// kernel accounts it (tunescope_kernel_softirq_accounting_info{accounting}).
#pragma once

#include "host/kernel_config.h"
#include "kernelstats/source.h"

namespace tunescope::kernelstats {

class SoftirqTime : public Source {
 public:
  // `accounting` is read once: the kernel's config and command line do not change.
  SoftirqTime(host::HostPaths paths, host::IrqTimeAccounting accounting)
      : Source(std::move(paths)), accounting_(accounting) {}
  std::string_view name() const override { return "stat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;

 private:
  host::IrqTimeAccounting accounting_;
};

}  // namespace tunescope::kernelstats
