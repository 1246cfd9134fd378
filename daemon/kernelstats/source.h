// Kernel statistics the kernel keeps anyway, read from /proc at scrape time: the always-on
// tier that costs no BPF (docs/probes.md, "Kernel statistics"). One source per /proc file, in
// the manner of node_exporter's collectors; each is a prometheus::Collectable on its own, and
// KernelStats (kernel_stats.h) adds tunescope_kernel_source_up{source} over them.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "host/paths.h"
#include "metrics/family.h"

namespace tunescope::kernelstats {

class Source : public prometheus::Collectable {
 public:
  explicit Source(host::HostPaths paths) : paths_(std::move(paths)) {}

  // The label value of tunescope_kernel_source_up ("softirqs", "schedstat", ...).
  virtual std::string_view name() const = 0;
  // Reads the file now and appends its families; an error names the file and the errno.
  virtual Status Read(std::vector<prometheus::MetricFamily>& out) const = 0;

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    (void)Read(out);
    return out;
  }

 protected:
  const host::HostPaths& paths() const { return paths_; }

 private:
  host::HostPaths paths_;
};

// "cpu" label values are the kernel's CPU numbers.
inline std::string CpuLabel(int cpu) {
  return std::to_string(cpu);
}

}  // namespace tunescope::kernelstats
