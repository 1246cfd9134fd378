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

#include "host/paths.h"
#include "host/result.h"
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

// One column of a per-CPU table, exported as a counter family with a sample per CPU.
template <typename Row>
struct CpuColumn {
  const char* name;
  const char* help;
  std::uint64_t Row::*field;
  double scale;  // to base units: 1e-9 for nanoseconds
};

// `rows` holds (cpu, row) pairs: a map<int, Row> or a vector of pairs.
template <typename Rows, typename Row, std::size_t N>
void AppendPerCpu(std::vector<prometheus::MetricFamily>& out, const Rows& rows,
                  const CpuColumn<Row> (&columns)[N]) {
  for (const CpuColumn<Row>& column : columns) {
    auto family = metrics::CounterFamily(column.name, column.help);
    for (const auto& [cpu, row] : rows) {
      family.Counter({{"cpu", CpuLabel(cpu)}},
                     static_cast<double>(row.*column.field) * column.scale);
    }
    metrics::Append(out, std::move(family));
  }
}

}  // namespace tunescope::kernelstats
